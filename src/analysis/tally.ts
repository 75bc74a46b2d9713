import type { LlmResult } from '../llm/types.js';

/** What a job spent and produced; summed into the `--json` summary. */
export interface Tally {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  reviews: number;
  insights: number;
  themes: number;
  unmapped: number;
  droppedQuotes: number;
  failed: number;
  simulated: boolean;
}

export function newTally(): Tally {
  return {
    calls: 0,
    promptTokens: 0,
    completionTokens: 0,
    cost: 0,
    reviews: 0,
    insights: 0,
    themes: 0,
    unmapped: 0,
    droppedQuotes: 0,
    failed: 0,
    simulated: false,
  };
}

export function addCall(t: Tally, r: LlmResult): void {
  t.calls++;
  t.promptTokens += r.usage.promptTokens;
  t.completionTokens += r.usage.completionTokens;
  t.cost += r.cost;
  if (r.simulated) t.simulated = true;
}

export function addTally(into: Tally, from: Tally): void {
  for (const k of Object.keys(into) as Array<keyof Tally>) {
    if (k === 'simulated') into.simulated = into.simulated || from.simulated;
    else into[k] += from[k];
  }
}

/** The job summary of the issue: reviews, insights, themes, unmapped, droppedQuotes, failed, calls, tokens, cost. */
export function summaryOf(t: Tally): Record<string, number | boolean> {
  return {
    reviews: t.reviews,
    insights: t.insights,
    themes: t.themes,
    unmapped: t.unmapped,
    droppedQuotes: t.droppedQuotes,
    failed: t.failed,
    calls: t.calls,
    promptTokens: t.promptTokens,
    completionTokens: t.completionTokens,
    cost: Math.round(t.cost * 1e6) / 1e6,
    simulated: t.simulated,
  };
}
