import type { Gateway, LlmRequest } from '../llm/types.js';
import { InvalidAnswerError, keysFor, parseKeyedAnswer, splitAndRetry, type ItemOutcome, type ValueCheck } from '../llm/keyed.js';
import { batchRequest, singleRequest } from '../llm/prompts/translate.js';

/**
 * One batch of texts through the gateway: keyed JSON for several texts, the vip prompt for one. An answer that
 * is not JSON, misses or adds a key, or has an empty value is never stored: the batch is split in halves and
 * retried down to single calls (splitAndRetry), and a single call whose answer is empty is asked again.
 */
export interface CallTally {
  calls: number;
  fallbacks: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  /** texts carried by successful and failed calls, for items-per-call */
  items: number;
  simulated: boolean;
}

export function newTally(): CallTally {
  return { calls: 0, fallbacks: 0, promptTokens: 0, completionTokens: 0, cost: 0, items: 0, simulated: false };
}

export interface CallOptions {
  gateway: Gateway;
  targetLanguage: string;
  productId?: string | null;
  jobId?: number | null;
  signal?: AbortSignal;
  /**
   * vip style: one text per call as the whole user message, answered in plain text (the seed's translate_text).
   * Otherwise every call, down to the split's single items, uses the keyed JSON protocol, whose answers can be
   * checked: a truncated or chatty answer is caught and asked again, which a plain-text answer cannot be.
   */
  single?: boolean;
  /** the texts' language when every one of them is surely in it: named in the prompt */
  sourceLanguage?: string;
  /** asks per single text whose answer is invalid before it counts as failed */
  singleAttempts?: number;
  tally: CallTally;
}

/** a translation is a string with something in it; given trimmed */
const translationValue: ValueCheck<string> = {
  safeParse(v) {
    if (typeof v !== 'string')
      return {
        success: false,
        error: { issues: [{ message: `Expected string, received ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}` }] },
      };
    const value = v.trim();
    return value ? { success: true, data: value } : { success: false, error: { issues: [{ message: 'empty translation' }] } };
  },
};

type RequestBase = Pick<LlmRequest, 'lane' | 'productId' | 'jobId' | 'signal'>;

/** Whether texts go as the vip prompt (one text, plain answer) rather than keyed JSON. */
export function isPlain(count: number, single: boolean | undefined): boolean {
  return count === 1 && !!single;
}

/** The language of every one of these texts when detection is sure of it for each, else none: named in the prompt. */
export function commonLanguage(texts: Array<{ lang?: string }>): string | undefined {
  const first = texts[0]?.lang;
  return first && texts.every((t) => t.lang === first) ? first : undefined;
}

/** The request for texts: the same for a realtime call and a Batch API line. */
export function translationRequest(
  texts: string[],
  target: string,
  single: boolean | undefined,
  base: RequestBase,
  source?: string,
): LlmRequest {
  return isPlain(texts.length, single)
    ? singleRequest(texts[0], target, base, source)
    : batchRequest(Object.fromEntries(keysFor(texts.length).map((k, i) => [k, texts[i]])), target, base, source);
}

/** The translations in an answer, aligned with the texts asked for; InvalidAnswerError when it is not that. */
export function readTranslations(content: string, count: number, single: boolean | undefined): string[] {
  if (isPlain(count, single)) {
    const value = content.trim();
    if (!value) throw new InvalidAnswerError('empty translation');
    return [value];
  }
  return parseKeyedAnswer(content, keysFor(count), translationValue);
}

async function ask(texts: string[], o: CallOptions): Promise<string[]> {
  const base: RequestBase = { lane: 'translation', productId: o.productId ?? null, jobId: o.jobId ?? null, signal: o.signal };
  const attempts = texts.length === 1 ? Math.max(1, o.singleAttempts ?? 4) : 1;
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) o.tally.fallbacks++;
    const res = await o.gateway.complete(translationRequest(texts, o.targetLanguage, o.single, base, o.sourceLanguage));
    o.tally.calls++;
    o.tally.items += texts.length;
    o.tally.promptTokens += res.usage.promptTokens;
    o.tally.completionTokens += res.usage.completionTokens;
    o.tally.cost += res.cost;
    o.tally.simulated ||= res.simulated;
    try {
      return readTranslations(res.content, texts.length, o.single);
    } catch (err) {
      if (!(err instanceof InvalidAnswerError)) throw err;
      last = err;
    }
  }
  throw last;
}

/** Translate texts (already normalised); the outcome at index i always belongs to texts[i]. */
export async function translateTexts(texts: string[], o: CallOptions): Promise<Array<ItemOutcome<string>>> {
  const split = { calls: 0, fallbacks: 0 };
  const out = await splitAndRetry(texts, (batch) => ask(batch, o), split);
  o.tally.fallbacks += split.fallbacks;
  return out;
}
