import { hash } from 'node:crypto';

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
  // the one-shot form: a third of createHash().update().digest()'s time on review-sized texts (no Hash object)
  return hash('sha256', s, 'hex');
}

/** What `\s` and String.prototype.trim count as white space (WhiteSpace and LineTerminator), by UTF-16 unit. */
export function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Trim and collapse every run of white space to one space: the key identical texts share. The same answer as
 * `s.replace(/\s+/gu, ' ').trim()`, in one scan that copies nothing when the text is already collapsed (the
 * regex rebuilt every string, replacing each single space with itself: ingest runs this on every row).
 */
export function collapseWhitespace(s: string): string {
  const n = s.length;
  let out = '';
  let copied = 0; // s[0, copied) is in out, as it should read
  let changed = false;
  for (let i = 0; i < n; i++) {
    if (!isSpace(s.charCodeAt(i))) continue;
    let end = i + 1;
    while (end < n && isSpace(s.charCodeAt(end))) end++;
    const inside = i > 0 && end < n;
    if (!(inside && end === i + 1 && s.charCodeAt(i) === 0x20)) {
      out += s.slice(copied, i) + (inside ? ' ' : '');
      copied = end;
      changed = true;
    }
    i = end - 1;
  }
  return changed ? out + s.slice(copied) : s;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

/** Amazon-style markup to plain text: `<br />` becomes a line break, other tags go, common entities decode. */
export function htmlToText(s: string): string {
  // each step runs only when the character it needs is there: most reviews have no markup, and six regex passes
  // over every ingested row (its learning estimate) cost more than the rest of its validation
  if (s.includes('<')) {
    s = s
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/?p\s*>/gi, '\n')
      .replace(/<[^>]{1,500}>/g, '');
  }
  if (s.includes('&')) {
    s = s.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+|#39);/gi, (m, e: string) => {
      const lower = e.toLowerCase();
      if (ENTITIES[lower] !== undefined) return ENTITIES[lower];
      if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
      if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
      return m;
    });
  }
  if (s.includes('\n')) s = s.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n');
  return s.trim();
}

/** The text a prompt sees and the cache is keyed on: markup removed, white space collapsed. */
export function normaliseForPrompt(s: string): string {
  return collapseWhitespace(htmlToText(s));
}

/** True when the text has no letter at all (emoji, punctuation, digits): nothing to translate. */
export function hasLetters(s: string): boolean {
  return /\p{L}/u.test(s);
}
