import { describe, expect, it } from 'vitest';
import { chineseVariant, convertChinese, detectLanguage, guessLanguage, planText, scriptCounts } from '../../src/language.js';
import { batchSystemPrompt, singleSystemPrompt } from '../../src/llm/prompts/translate.js';
import { planFor } from '../../src/translate/prepare.js';
import { normaliseForPrompt } from '../../src/text.js';

const plan = (s: string, target = 'zh-CN') => planFor(normaliseForPrompt(s), target);

describe('the skip rule knows scripts (Simplified Chinese target)', () => {
  it.each([
    // the reviews the old rule (Han share >= 0.5) skipped without a word
    ['配送が早かった、説明', 'ja'],
    ['説明書が分かりにくい 100%、配送が早', 'ja'],
    ['コスパ最高、思', 'ja'],
    ['最高です', 'ja'],
    ['品質最高ー', 'ja'], // the prolonged sound mark alone says Japanese
    ['ｺｽﾊﾟ最高', 'ja'], // half-width katakana
    ['最悪', 'ja'], // kanji alone, in forms only Japanese writes (Chinese 最恶 / 最惡)
    ['満足', 'ja'],
    ['大満足！品質最高', 'ja'],
    ['不良品、返品対応が最悪', 'ja'],
    ['이 제품은 정말 좋아요', 'ko'],
    ['品質이 좋아요', 'ko'], // Hangul with hanja
    ['Das ist sehr gut und nicht teuer', 'de'],
    ['la comida es muy buena pero cara', 'es'],
    ['le produit est très bon et pas cher', 'fr'],
    ['O produto é muito bom, chegou rápido', 'pt'],
    ['barang sangat bagus dan sesuai pesanan', 'id'],
    ['iPhone 15 Pro Max 很好', 'und'], // more Latin words than Han: not Chinese, sent
    ['good 很', 'und'], // a tie is not Chinese
  ])('%s is sent to the model (%s)', (text, lang) => {
    expect(plan(text)).toBe('call');
    expect(guessLanguage(normaliseForPrompt(text))).toBe(lang);
  });

  it.each([
    '这个产品很好，我很喜欢',
    '这款Anker充电宝很好用，100%推荐👍',
    '很好 good',
    '质量不错！！！5星',
    '𠀀𠀁很好', // astral (extension B) ideographs are Han
    '々很好', // the iteration mark is Han
    '物流很快・包装完好', // the katakana middle dot is punctuation, not kana
    '元気森林的饮料很好喝，这个口味不错', // a Chinese brand that borrows a Japanese form, among Chinese-only ones
    '元気森林很好喝', // ... or beside a Chinese particle
    '元気森林气泡水',
    '黒色很好看',
    '给予好评，大概是研究过的配方', // 予 概 研: Japanese forms Chinese writes too
    '慎买',
    '褒贬不一',
  ])('%s is already Simplified Chinese: skipped', (text) => {
    expect(plan(text)).toBe('skip');
    expect(detectLanguage(text)).toEqual({ lang: 'zh', confident: true });
  });

  it.each(['這個產品很好用，軟體也不錯', '質量很好，物流很快，會再買', '說明書寫得很清楚'])(
    '%s is Traditional: converted, no call',
    (text) => {
      expect(plan(text)).toBe('convert');
      expect(detectLanguage(text).lang).toBe('zh-Hant');
    },
  );

  it('text without letters needs nothing, an unknown script is always sent', () => {
    expect(plan('😀😀😀 !!! 100%')).toBe('none');
    expect(plan('12345')).toBe('none');
    for (const s of ['สินค้าดีมาก ส่งเร็ว', 'Ωμέγα το προϊόν', 'منتج رائع جدا', 'उत्पाद बहुत अच्छा है']) {
      expect(plan(s), s).toBe('call');
      expect(guessLanguage(s), s).toBe('und');
    }
  });
});

describe('other targets', () => {
  it('a Traditional target converts Simplified text and skips Traditional', () => {
    expect(plan('这个产品很好用，软件也不错', 'zh-TW')).toBe('convert');
    expect(plan('這個產品很好用，軟體也不錯', 'zh-TW')).toBe('skip');
    expect(plan('配送が早かった', 'zh-TW')).toBe('call');
  });

  it('a Latin target skips only text surely in it; short or unmarked text is sent', () => {
    expect(planText('Das ist sehr gut und nicht teuer', 'de').action).toBe('skip');
    expect(planText('Das ist sehr gut und nicht teuer', 'en').action).toBe('call');
    expect(planText('The food is very good and my dog likes it', 'en').action).toBe('skip');
    expect(planText('Great!', 'en').action).toBe('call');
    expect(planText('Lecker', 'de').action).toBe('call');
    expect(planText('最高です', 'ja').action).toBe('skip');
    expect(planText('这个产品很好', 'ja').action).toBe('call');
  });
});

describe('conversion and variants', () => {
  it('OpenCC converts Traditional to Simplified with mainland wording, and back for a Traditional target', () => {
    expect(convertChinese('這個產品很好用，軟體也不錯', 'zh-CN')).toBe('这个产品很好用，软件也不错');
    expect(convertChinese('这个产品很好用', 'zh-TW')).toBe('這個產品很好用');
  });

  it('variants count characters that exist in one form only', () => {
    expect(chineseVariant('很好')).toBe('both');
    expect(chineseVariant('這個很好')).toBe('hant');
    expect(chineseVariant('这个很好')).toBe('hans');
  });

  it('counts code points: an astral ideograph or emoji counts once, a Latin word is one unit', () => {
    expect(scriptCounts('𠀀好 Anker 👍🏽')).toMatchObject({ letters: 7, han: 2, latinWords: 1 });
    expect(scriptCounts('lone \ud800 surrogate')).toMatchObject({ latinWords: 2 });
  });
});

describe('prompts name the source language when it is sure', () => {
  it('adds one sentence to the first paragraph and nothing for an unknown language', () => {
    expect(singleSystemPrompt('zh-CN', 'ja')).toContain('翻译成简体中文。原文是日文。');
    expect(batchSystemPrompt('zh-CN', 'ko').split('\n')[0]).toBe('你是一位翻译专家。请翻译以下多条评论。原文是韩文。');
    expect(batchSystemPrompt('en', 'de').split('\n')[0]).toBe(
      'You are a translation expert. Translate the following reviews. The original is in German.',
    );
    expect(batchSystemPrompt('zh-CN', 'und')).toBe(batchSystemPrompt('zh-CN'));
    expect(batchSystemPrompt('zh-CN', 'xx')).toBe(batchSystemPrompt('zh-CN'));
    // same structure: only the first line differs
    expect(batchSystemPrompt('zh-CN', 'ja').split('\n').slice(1)).toEqual(batchSystemPrompt('zh-CN').split('\n').slice(1));
  });
});
