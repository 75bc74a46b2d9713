import { createHash } from 'node:crypto';

/** Length as Python's len(): Unicode code points, not UTF-16 units. */
export function codePoints(s: string): number {
  // every UTF-16 unit is one code point except the second half of a surrogate pair: count units, subtract pairs
  // (an index loop, no iterator: this runs twice per ingested row)
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
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

/** Marker words per language, in the order that breaks a tie (English first). */
const LANG_WORDS: Array<[string, string[]]> = [
  ['en', ['the', 'and', 'is', 'it', 'this', 'not', 'very', 'for', 'with', 'but']],
  ['de', ['und', 'nicht', 'ist', 'das', 'sehr', 'ich', 'die', 'der', 'mit', 'aber']],
  ['id', ['dan', 'tidak', 'yang', 'barang', 'sangat', 'bagus', 'sesuai', 'ini', 'sudah', 'nya']],
  ['es', ['el', 'la', 'que', 'muy', 'pero', 'por', 'los', 'una']],
  ['fr', ['le', 'la', 'et', 'est', 'très', 'pas', 'les', 'une']],
];
/** word -> indexes into LANG_WORDS ("la" counts for Spanish and French) */
const WORD_LANGS = new Map<string, number[]>();
LANG_WORDS.forEach(([, words], i) => {
  for (const w of words) WORD_LANGS.set(w, [...(WORD_LANGS.get(w) ?? []), i]);
});

/** Marker words are 2 to 6 letters long, and lower-casing never shortens a string: other tokens cannot match. */
const MIN_WORD = 2;
const MAX_WORD = 6;

/** Which marker language a Latin-script text reads as: a marker word counts once, between spaces. */
function latinLanguage(s: string): string {
  // the same test as `' ' + lower + ' '` containing `' ' + word + ' '`, done by one walk over the spaces instead of
  // 46 searches, lower-casing only the tokens short enough to be a marker word
  const scores = [0, 0, 0, 0, 0];
  let counted: Set<string> | null = null;
  for (let start = 0; start <= s.length; ) {
    let end = s.indexOf(' ', start);
    if (end < 0) end = s.length;
    const len = end - start;
    if (len >= MIN_WORD && len <= MAX_WORD) {
      const token = s.slice(start, end).toLowerCase();
      const langs = WORD_LANGS.get(token);
      if (langs !== undefined && !counted?.has(token)) {
        (counted ??= new Set()).add(token);
        for (const i of langs) scores[i]++;
      }
    }
    start = end + 1;
  }
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return scores[best] > 0 ? LANG_WORDS[best][0] : 'en';
}

/** Rough language guess for the report's language mix and the skip rule; no call, no dictionary. */
export function guessLanguage(s: string): string {
  let han = 0, kana = 0, hangul = 0, latin = 0, cyr = 0, letters = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      // ASCII fast path: the only ASCII letters are A-Z and a-z, and they are Latin script
      if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
        letters++;
        latin++;
      }
      continue;
    }
    const cp = s.codePointAt(i)!;
    if (cp > 0xffff) i++;
    const ch = String.fromCodePoint(cp);
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
  if (latin / letters > 0.5) return latinLanguage(s);
  return 'und';
}
