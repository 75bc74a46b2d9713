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
