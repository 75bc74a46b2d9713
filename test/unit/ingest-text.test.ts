import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codePoints, collapseWhitespace, htmlToText, normaliseForPrompt } from '../../src/text.js';
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

function referenceCollapse(s: string): string {
  return s.replace(/\s+/gu, ' ').trim();
}

const REFERENCE_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };
function referenceHtmlToText(s: string): string {
  return s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?p\s*>/gi, '\n')
    .replace(/<[^>]{1,500}>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+|#39);/gi, (m, e: string) => {
      const lower = e.toLowerCase();
      if (REFERENCE_ENTITIES[lower] !== undefined) return REFERENCE_ENTITIES[lower];
      if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
      if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
      return m;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The normalisers against their reference versions on one text (and its HTML-decoded form). */
function expectSameNormalised(s: string): void {
  expect(collapseWhitespace(s)).toBe(referenceCollapse(s));
  expect(htmlToText(s)).toBe(referenceHtmlToText(s));
  expect(normaliseForPrompt(s)).toBe(referenceCollapse(referenceHtmlToText(s)));
}

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
    '  \t\n\r\v\f\u00a0\u2003\u3000\u2028\ufeff\u200b\u180e',
    '<br /><p>&amp;&#39;&lt;&nbsp;&#x4e2d;',
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

  it('collapseWhitespace and htmlToText answer as the regex versions they replace, on every UTF-16 unit and mixes', () => {
    for (const s of SAMPLES) expectSameNormalised(s);
    for (const s of ['', ' ', '  ', ' a', 'a ', ' a b  c\t', '\n\n\n\nx\n\n\n', 'a \nb', '<br>\u00a0<br/>', '&nbsp;x&nbsp;'])
      expectSameNormalised(s);
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      for (const s of [ch, `a${ch}b`, `a ${ch}b`, `a${ch}${ch}b`]) expect(collapseWhitespace(s)).toBe(referenceCollapse(s));
    }
    for (let seed = 1; seed < 2000; seed++) expectSameNormalised(randomText(seed, seed % 300));
  });

  const data = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');
  it.skipIf(!existsSync(data))('the normalisers answer as the regex versions on every line of the shared dumps', () => {
    let n = 0;
    for (const f of ['finefoods-dev.csv', 'finefoods-heldout.csv', 'prdect-id-dev.csv', 'prdect-id-heldout.csv']) {
      const file = path.join(data, f);
      if (!existsSync(file)) continue;
      // whole lines: bodies, titles and authors with their quotes, commas and untrimmed edges
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        expectSameNormalised(line);
        n++;
      }
    }
    expect(n).toBeGreaterThan(10_000);
  });

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
