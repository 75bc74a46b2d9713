import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codePoints } from '../../src/text.js';
import { guessLanguage } from '../../src/language.js';

// The plain versions these functions had before their fast paths: the fast ones must answer exactly the same.
function referenceCodePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const SAMPLES = [
  '',
  ' ',
  '12345 !!!',
  '😀😀😀',
  'The food is very good and my dog likes it',
  'Das ist sehr gut und nicht teuer',
  'barang sangat bagus dan sesuai pesanan',
  'la comida es muy buena pero cara',
  'le produit est très bon et pas cher',
  'la la la',
  'EL PRODUCTO ES MUY BUENO',
  'the\tand\nis',
  'très très',
  '这个产品很好，我很喜欢',
  'この商品はとても良いです',
  '이 제품은 정말 좋아요',
  'Это очень хороший продукт',
  'mixed 中文 and English words here',
  'İstanbul ÇOK güzel',
  'ﬁne ﬂour',
  'lone \ud800 surrogate \udc00 halves',
  'emoji 👍🏽 in the middle of it',
  'café crème brûlée',
  'Ωμέγα το προϊόν',
  'x'.repeat(300) + ' the',
];

/** A deterministic mix of ASCII, accented Latin, CJK, kana, Hangul, Cyrillic, emoji, spaces and lone surrogates. */
function randomText(seed: number, length: number): string {
  const pools = [
    'abcdefghijklmnopqrstuvwxyz ABCXYZ',
    ' the and la le und dan ',
    'éèàüößñç',
    '中文字产品',
    'ひらカタ',
    '한국어',
    'русский',
    '😀👍🏽',
    '\ud800\udc00\ud83d',
    '.,!?0123456789\t\n',
  ];
  let x = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const pool = pools[x % pools.length];
    out += pool[(x >> 8) % pool.length];
  }
  return out;
}

describe('text fast paths', () => {
  it('codePoints counts code points exactly as string iteration does, surrogate pairs and lone halves included', () => {
    for (const s of SAMPLES) expect(codePoints(s)).toBe(referenceCodePoints(s));
    for (let seed = 1; seed < 500; seed++) {
      const s = randomText(seed, seed % 200);
      expect(codePoints(s)).toBe(referenceCodePoints(s));
    }
  });

  const data = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');
  it.skipIf(!existsSync(data))(
    'guessLanguage tells the shared dumps apart: Amazon fine foods in English, PRDECT-ID in Indonesian',
    async () => {
      const { readReviews } = await import('../../src/ingest/index.js');
      const { loadConfig } = await import('../../src/config/load.js');
      const config = loadConfig({ env: {} });
      for (const [f, lang] of [
        ['finefoods-dev.csv', 'en'],
        ['prdect-id-dev.csv', 'id'],
      ] as const) {
        const file = path.join(data, f);
        if (!existsSync(file)) continue;
        const counts = new Map<string, number>();
        let n = 0;
        for await (const item of readReviews(file, { config, mapping: {}, product: null })) {
          if (item.kind !== 'review') continue;
          const g = guessLanguage(item.review.body.slice(0, 160));
          counts.set(g, (counts.get(g) ?? 0) + 1);
          if (++n >= 2000) break;
        }
        expect(n).toBeGreaterThan(1000);
        // nearly every review reads as its dump's language, none as Chinese, Japanese or Korean
        expect((counts.get(lang) ?? 0) / n, `${f}: ${JSON.stringify([...counts])}`).toBeGreaterThan(0.9);
        for (const cjk of ['zh', 'zh-Hant', 'ja', 'ko']) expect(counts.get(cjk) ?? 0).toBe(0);
      }
    },
  );
});
