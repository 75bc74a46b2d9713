import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codePoints, guessLanguage } from '../../src/text.js';

// The plain versions these functions had before their fast paths: the fast ones must answer exactly the same.
function referenceCodePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function referenceGuessLanguage(s: string): string {
  let han = 0, kana = 0, hangul = 0, latin = 0, cyr = 0, letters = 0;
  for (const ch of s) {
    if (!/\p{L}/u.test(ch)) continue;
    letters++;
    if (/\p{Script=Han}/u.test(ch)) han++;
    else if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(ch)) kana++;
    else if (/\p{Script=Hangul}/u.test(ch)) hangul++;
    else if (/\p{Script=Latin}/u.test(ch)) latin++;
    else if (/\p{Script=Cyrillic}/u.test(ch)) cyr++;
  }
  if (letters === 0) return 'und';
  if (kana > 0 && (kana + han) / letters > 0.3) return 'ja';
  if (hangul / letters > 0.3) return 'ko';
  if (han / letters > 0.5) return 'zh';
  if (cyr / letters > 0.5) return 'ru';
  if (latin / letters > 0.5) {
    const lower = ` ${s.toLowerCase()} `;
    const score = (words: string[]) => words.reduce((n, w) => n + (lower.includes(` ${w} `) ? 1 : 0), 0);
    const de = score(['und', 'nicht', 'ist', 'das', 'sehr', 'ich', 'die', 'der', 'mit', 'aber']);
    const id = score(['dan', 'tidak', 'yang', 'barang', 'sangat', 'bagus', 'sesuai', 'ini', 'sudah', 'nya']);
    const en = score(['the', 'and', 'is', 'it', 'this', 'not', 'very', 'for', 'with', 'but']);
    const es = score(['el', 'la', 'que', 'muy', 'pero', 'por', 'los', 'una']);
    const fr = score(['le', 'la', 'et', 'est', 'très', 'pas', 'les', 'une']);
    const best = Object.entries({ en, de, id, es, fr }).sort((a, b) => b[1] - a[1])[0];
    return best[1] > 0 ? best[0] : 'en';
  }
  return 'und';
}

const SAMPLES = [
  '', ' ', '12345 !!!', '😀😀😀', 'The food is very good and my dog likes it',
  'Das ist sehr gut und nicht teuer', 'barang sangat bagus dan sesuai pesanan', 'la comida es muy buena pero cara',
  'le produit est très bon et pas cher', 'la la la', 'EL PRODUCTO ES MUY BUENO', 'the\tand\nis', 'très très',
  '这个产品很好，我很喜欢', 'この商品はとても良いです', '이 제품은 정말 좋아요', 'Это очень хороший продукт',
  'mixed 中文 and English words here', 'İstanbul ÇOK güzel', 'ﬁne ﬂour', 'lone \ud800 surrogate \udc00 halves',
  'emoji 👍🏽 in the middle of it', 'café crème brûlée', 'Ωμέγα το προϊόν', 'x'.repeat(300) + ' the',
];

/** A deterministic mix of ASCII, accented Latin, CJK, kana, Hangul, Cyrillic, emoji, spaces and lone surrogates. */
function randomText(seed: number, length: number): string {
  const pools = ['abcdefghijklmnopqrstuvwxyz ABCXYZ', ' the and la le und dan ', 'éèàüößñç', '中文字产品', 'ひらカタ', '한국어', 'русский', '😀👍🏽', '\ud800\udc00\ud83d', '.,!?0123456789\t\n'];
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

  it('guessLanguage answers as the plain version on hand-picked and generated texts', () => {
    for (const s of SAMPLES) expect(guessLanguage(s), s).toBe(referenceGuessLanguage(s));
    for (let seed = 1; seed < 2000; seed++) {
      const s = randomText(seed, seed % 160);
      expect(guessLanguage(s), JSON.stringify(s)).toBe(referenceGuessLanguage(s));
    }
  });

  const data = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');
  it.skipIf(!existsSync(data))('guessLanguage answers as the plain version on every row of the shared data', () => {
    let rows = 0;
    for (const f of ['finefoods-dev.csv', 'prdect-id-dev.csv']) {
      const file = path.join(data, f);
      if (!existsSync(file)) continue;
      // whole lines are enough: the function sees any text, not only bodies
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const s = line.slice(0, 160);
        expect(guessLanguage(s)).toBe(referenceGuessLanguage(s));
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(1000);
  });
});
