import { z } from 'zod';

/**
 * The words of the domain: a review's class, the 5W label kinds, what a learned product profile holds and what one
 * insight says. The model's answers are validated against these schemas and the store keeps them as they are, so both
 * `llm/` and `store/` speak them without either importing the other.
 */

/** A review's class, decided at ingest from its length and rating (translate/classifier.ts); a batch is of one class. */
export type ReviewClass = 'vip' | 'standard' | 'short';

export const W_KEYS = ['who', 'what', 'when', 'where', 'why'] as const;
export type WKey = (typeof W_KEYS)[number];

export const INSIGHT_TYPES = ['pain_point', 'praise', 'feature_request', 'usage_scenario', 'comparison', 'other'] as const;
export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;

/** A product's profile as learned from its reviews: dimensions, and labels for each of the 5W. */
const named = z.object({ name: z.string().min(1).max(120), name_zh: z.string().min(1).max(120) });
export const learnAnswer = z.object({
  dimensions: z
    .array(named.extend({ description: z.string().max(500).default('') }))
    .min(1)
    .max(30),
  labels: z.object({
    who: z.array(named).max(20),
    what: z.array(named).max(20),
    when: z.array(named).max(20),
    where: z.array(named).max(20),
    why: z.array(named).max(20),
  }),
});
export type LearnAnswer = z.infer<typeof learnAnswer>;

/** One thing a review says about one dimension. */
export const insightItem = z.object({
  type: z.enum(INSIGHT_TYPES),
  dimension: z.string().min(1).max(120),
  sentiment: z.enum(SENTIMENTS),
  quote: z.string().min(1).max(2000),
  summary_zh: z.string().min(1).max(500),
});
export type InsightItem = z.infer<typeof insightItem>;
