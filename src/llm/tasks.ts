import { z } from 'zod';
import { insightItem, type WKey } from '../domain.js';

/**
 * The wire contract of every prompt: what the user message carries and what a valid answer looks like.
 * Prompts (src/llm/prompts/) build requests from it, lanes validate answers with it, and the simulator answers it.
 * Review texts only ever travel as JSON string values, so a review cannot change a prompt's structure.
 */

/** translate_batch: user message is a JSON object {"r1": text, ...}; the answer has exactly those keys. */
export type BatchPayload = Record<string, string>;

/** learn: user message payload. */
export interface LearnPayload {
  product: string;
  title?: string | null;
  reviews: Array<{ rating: number; text: string }>;
}
// its answer is a product profile: `learnAnswer` in domain.ts

/** insights: {"dimensions": [names], "max": n, "reviews": {"r1": text}} -> {"r1": [insight, ...]} */
export interface InsightsPayload {
  dimensions: string[];
  max: number;
  reviews: Record<string, string>;
}
export const insightsForReview = z.array(insightItem).max(20);

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
