import { z } from 'zod';

/**
 * The wire contract of every prompt: what the user message carries and what a valid answer looks like.
 * Prompts (src/llm/prompts.ts) build requests from it, lanes validate answers with it, and the simulator answers it.
 * Review texts only ever travel as JSON string values, so a review cannot change a prompt's structure.
 */

export const W_KEYS = ['who', 'what', 'when', 'where', 'why'] as const;
export type WKey = (typeof W_KEYS)[number];

export const INSIGHT_TYPES = ['pain_point', 'praise', 'feature_request', 'usage_scenario', 'comparison', 'other'] as const;
export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;

/** translate_batch: user message is a JSON object {"r1": text, ...}; the answer has exactly those keys. */
export type BatchPayload = Record<string, string>;

/** learn: user message payload. */
export interface LearnPayload {
  product: string;
  title?: string | null;
  reviews: Array<{ rating: number; text: string }>;
}
const named = z.object({ name: z.string().min(1).max(120), name_zh: z.string().min(1).max(120) });
export const learnAnswer = z.object({
  dimensions: z.array(named.extend({ description: z.string().max(500).default('') })).min(1).max(30),
  labels: z.object({
    who: z.array(named).max(20),
    what: z.array(named).max(20),
    when: z.array(named).max(20),
    where: z.array(named).max(20),
    why: z.array(named).max(20),
  }),
});
export type LearnAnswer = z.infer<typeof learnAnswer>;

/** insights: {"dimensions": [names], "max": n, "reviews": {"r1": text}} -> {"r1": [insight, ...]} */
export interface InsightsPayload {
  dimensions: string[];
  max: number;
  reviews: Record<string, string>;
}
export const insightItem = z.object({
  type: z.enum(INSIGHT_TYPES),
  dimension: z.string().min(1).max(120),
  sentiment: z.enum(SENTIMENTS),
  quote: z.string().min(1).max(2000),
  summary_zh: z.string().min(1).max(500),
});
export const insightsForReview = z.array(insightItem).max(20);
export type InsightItem = z.infer<typeof insightItem>;

/** themes: {"labels": {"who": [names], ...}, "reviews": {"r1": text}} -> {"r1": {"who": [tags], ...}} */
export interface ThemesPayload {
  labels: Record<WKey, string[]>;
  reviews: Record<string, string>;
}
export const themesForReview = z.object({
  who: z.array(z.string().min(1).max(200)).max(10).default([]),
  what: z.array(z.string().min(1).max(200)).max(10).default([]),
  when: z.array(z.string().min(1).max(200)).max(10).default([]),
  where: z.array(z.string().min(1).max(200)).max(10).default([]),
  why: z.array(z.string().min(1).max(200)).max(10).default([]),
});
export type ThemesForReview = z.infer<typeof themesForReview>;

/** The simulator's translation of a text: derived from the input so tests can check each review got its own. */
export const SIM_TRANSLATION_PREFIX = '【模拟译文】';
export function simTranslation(text: string): string {
  return SIM_TRANSLATION_PREFIX + text;
}
