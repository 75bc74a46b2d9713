import { collapseWhitespace, normaliseForPrompt } from '../text.js';
import type { LabelKind } from '../store/labels.js';
import type { LabelMap } from './label-cache.js';

/**
 * Matching that forgives what models vary: case, white space, full-width forms (NFKC). Tags are matched on a
 * label's name or Chinese name; quotes are checked against the review's own text.
 */
export function normKey(s: string): string {
  return collapseWhitespace(s.normalize('NFKC')).toLowerCase();
}

const indexes = new WeakMap<LabelMap, Map<string, number>>();

function indexOf(map: LabelMap): Map<string, number> {
  let idx = indexes.get(map);
  if (!idx) {
    idx = new Map();
    for (const [kind, names] of Object.entries(map)) {
      for (const [name, id] of Object.entries(names)) {
        const k = `${kind}\u0000${normKey(name)}`;
        if (!idx.has(k)) idx.set(k, id);
      }
    }
    indexes.set(map, idx);
  }
  return idx;
}

/** The label id a tag maps to within its W (or dimension), or null when it matches none (unmapped). */
export function matchLabel(map: LabelMap, kind: LabelKind, tag: string): number | null {
  return indexOf(map).get(`${kind}\u0000${normKey(tag)}`) ?? null;
}

/** The text a quote must come from: markup removed, white space collapsed, lower-cased. */
export function quoteHaystack(...texts: Array<string | null | undefined>): string {
  return texts
    .filter((t): t is string => !!t)
    .map((t) => normKey(normaliseForPrompt(t)))
    .join('\n');
}

/** A quote not found in the review's text is a hallucination. */
export function quoteIsGenuine(haystack: string, quote: string): boolean {
  // quote marks and ellipses a model wraps around the evidence are not part of it
  const q = normKey(normaliseForPrompt(quote)).replace(/^[\s"'“”‘’「」…]+|[\s"'“”‘’「」….]+$/gu, '');
  return q.length > 0 && haystack.includes(q);
}
