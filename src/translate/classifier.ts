import type { Config } from '../config/schema.js';
import { codePoints } from '../text.js';
import type { ReviewClass } from '../domain.js';

export const CLASS_ORDER: ReviewClass[] = ['short', 'standard', 'vip'];

export type ClassifierRules = Pick<Config['translate'], 'vipLength' | 'vipExtremeLength' | 'extremeRatings' | 'shortMaxLength'>;

/** The seed's ReviewClassifier: length in code points of the body, extreme ratings promote to vip. */
export function classify(body: string, rating: number | null | undefined, rules: ClassifierRules): ReviewClass {
  return classifyLength(codePoints(body ?? ''), rating, rules);
}

/** The same rule for a body whose length in code points is known (ingest counts it once for body_len too). */
export function classifyLength(len: number, rating: number | null | undefined, rules: ClassifierRules): ReviewClass {
  if (len > rules.vipLength) return 'vip';
  if (len > rules.vipExtremeLength && rating != null && rules.extremeRatings.includes(rating)) return 'vip';
  if (len <= rules.shortMaxLength) return 'short';
  return 'standard';
}

/**
 * A title is translated as an item of its own. Its rating never promotes it: titles are short headlines, so they
 * ride in the short batches unless one is long enough to be a review of its own.
 */
export function classifyTitle(title: string, rules: ClassifierRules): ReviewClass {
  return classify(title, null, rules);
}
