import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../src/translate/tokens.js';
import { promptTokens } from '../../src/analysis/estimate.js';
import { normaliseForPrompt } from '../../src/text.js';

/** The rule as written in tokens.ts, one code point at a time through both script tests: the reference. */
function reference(text: string): number {
  let cjk = 0;
  let latin = 0;
  let other = 0;
  for (const ch of text) {
    if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(ch)) cjk++;
    else if (/[\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}]/u.test(ch) && ch.length === 1) latin++;
    else other++;
  }
  return cjk + Math.ceil(latin / 4) + Math.ceil(other / 2);
}

describe('token estimate', () => {
  it('counts as the per-character rule does, on every script, emoji, combining marks and lone surrogates', () => {
    const samples = [
      '',
      'The strap broke after a week, but support was quick. 5/5!',
      '配送が早かった、説明どおりの商品です',
      '배송이 빨랐어요 👍',
      '質量很好，物流很快',
      'Barangnya bagus, pengiriman cepat 😀😀',
      'Ça marche très bien — naïve café',
      'e\u0301 combining, \u0915\u093f Devanagari, Привет мир, ไทย',
      'lone \ud800 high and \udc00 low surrogates',
      '\t\n\r mixed 中文 and English 123',
    ];
    for (const s of samples) expect(estimateTokens(s), s).toBe(reference(s));
  });

  it('agrees with the rule on random text drawn from many ranges', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ranges = [
      [0x20, 0x7e],
      [0xa0, 0x24f],
      [0x300, 0x36f],
      [0x400, 0x4ff],
      [0x3040, 0x30ff],
      [0x4e00, 0x9fff],
      [0xac00, 0xd7a3],
      [0x1f300, 0x1f6ff],
      [0xd800, 0xdfff],
    ];
    for (let n = 0; n < 300; n++) {
      let s = '';
      const len = Math.floor(rand() * 60);
      for (let i = 0; i < len; i++) {
        const [a, b] = ranges[Math.floor(rand() * ranges.length)];
        const cp = a + Math.floor(rand() * (b - a + 1));
        s += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
      }
      expect(estimateTokens(s), JSON.stringify(s)).toBe(reference(s));
    }
  });
});

describe("a review's prompt tokens (ingest's learning estimate)", () => {
  const slow = (body: string) => estimateTokens(normaliseForPrompt(body).slice(0, 4000));

  it('equals the estimate of the normalised text, capped at 4000 characters', () => {
    const samples = [
      '',
      '   ',
      'Great',
      '  Great   dog\tfood \n\n\n works  ',
      'a\u000bb\fc\rd',
      'a b',
      ' abcd',
      'abcd ',
      'abcd  efg',
      'a b~ c',
      'z'.repeat(4000),
      'z'.repeat(4001),
      'y '.repeat(1999) + 'yy',
      'x '.repeat(2500),
      ' y'.repeat(2500),
      'z'.repeat(3999) + '  w',
      'z'.repeat(3998) + '  w',
      'z'.repeat(3999) + 'w  ',
      'Good<br />product &amp; fast',
      'Très bon produit',
      '这款Anker充电宝很好用',
      'nbsp\u00a0inside',
      'emoji 👍 here',
    ];
    for (const s of samples) expect(promptTokens(s), JSON.stringify(s.slice(0, 40))).toBe(slow(s));
    // random ASCII with white space of every kind in runs
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = 'ab cd\t\n\r\u000b\f  ef.,!';
    for (let n = 0; n < 300; n++) {
      let s = '';
      const len = Math.floor(rnd() * (n % 10 === 0 ? 9000 : 200));
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(promptTokens(s)).toBe(slow(s));
    }
  });
});
