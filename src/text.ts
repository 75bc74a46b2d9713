import { createHash } from 'node:crypto';

/** Length as Python's len(): Unicode code points, not UTF-16 units. */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Trim and collapse every run of white space to one space: the key identical texts share. */
export function collapseWhitespace(s: string): string {
  return s.replace(/\s+/gu, ' ').trim();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

/** Amazon-style markup to plain text: `<br />` becomes a line break, other tags go, common entities decode. */
export function htmlToText(s: string): string {
  return s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?p\s*>/gi, '\n')
    .replace(/<[^>]{1,500}>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+|#39);/gi, (m, e: string) => {
      const lower = e.toLowerCase();
      if (ENTITIES[lower] !== undefined) return ENTITIES[lower];
      if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
      if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
      return m;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The text a prompt sees and the cache is keyed on: markup removed, white space collapsed. */
export function normaliseForPrompt(s: string): string {
  return collapseWhitespace(htmlToText(s));
}

/** True when the text has no letter at all (emoji, punctuation, digits): nothing to translate. */
export function hasLetters(s: string): boolean {
  return /\p{L}/u.test(s);
}

/** Share of letters that are CJK ideographs: text already in Chinese costs no translation call. */
export function hanShare(s: string): number {
  let letters = 0;
  let han = 0;
  for (const ch of s) {
    if (/\p{L}/u.test(ch)) {
      letters++;
      if (/\p{Script=Han}/u.test(ch)) han++;
    }
  }
  return letters === 0 ? 0 : han / letters;
}

/** Rough language guess for the report's language mix and the skip rule; no call, no dictionary. */
export function guessLanguage(s: string): string {
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
