import { errorMessage } from '../errors.js';

/**
 * Keyed batches: several items travel in one call as {"r1": ..., "r2": ...}; the answer must have exactly those
 * keys. Anything else is not stored: the batch is split in halves and retried, down to single items, so an
 * answer can never land on the wrong item whatever an item's text says.
 */
export class InvalidAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAnswerError';
  }
}

export function keysFor(n: number, prefix = 'r'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

/** Strip a ```json fence some models add even in JSON mode, then parse. */
export function parseJsonObject(content: string): Record<string, unknown> {
  let text = content.trim();
  const fence = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(text);
  if (fence) text = fence[1];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidAnswerError('answer is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidAnswerError('answer is not a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * What checks one value of an answer: a zod schema, or anything with the same `safeParse` (translation's plain
 * string check, which runs for every text at 200 calls/s where a zod parse allocated a few KB per call).
 */
export interface ValueCheck<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } };
}

/** Values aligned with `keys`, each validated by `schema`; a missing, extra or invalid key rejects the answer. */
export function parseKeyedAnswer<T>(content: string, keys: string[], schema: ValueCheck<T>): T[] {
  const obj = parseJsonObject(content);
  const got = Object.keys(obj);
  const missing = keys.filter((k) => !(k in obj));
  if (missing.length) throw new InvalidAnswerError(`answer misses key ${missing[0]}`);
  const extra = got.filter((k) => !keys.includes(k));
  if (extra.length) throw new InvalidAnswerError(`answer has unexpected key ${JSON.stringify(extra[0]).slice(0, 40)}`);
  return keys.map((k) => {
    const r = schema.safeParse(obj[k]);
    if (!r.success) throw new InvalidAnswerError(`answer for ${k} is invalid: ${r.error.issues[0]?.message ?? 'bad value'}`);
    return r.data;
  });
}

export type ItemOutcome<O> = { ok: true; value: O } | { ok: false; error: string };

export interface SplitStats {
  calls: number;
  fallbacks: number;
}

/**
 * Ask for a batch; on an invalid answer split it in halves and ask again, down to single items. Errors that are
 * not about the answer (the gateway gave up) fail the batch's items without splitting: more calls cannot help.
 */
export async function splitAndRetry<I, O>(
  items: I[],
  ask: (batch: I[]) => Promise<O[]>,
  stats: SplitStats = { calls: 0, fallbacks: 0 },
): Promise<Array<ItemOutcome<O>>> {
  if (items.length === 0) return [];
  stats.calls++;
  try {
    const values = await ask(items);
    if (values.length !== items.length) throw new InvalidAnswerError('answer has the wrong number of items');
    return values.map((value) => ({ ok: true as const, value }));
  } catch (err) {
    const message = errorMessage(err);
    if (!(err instanceof InvalidAnswerError)) return items.map(() => ({ ok: false as const, error: message }));
    if (items.length === 1) return [{ ok: false as const, error: message }];
    stats.fallbacks++;
    const mid = Math.ceil(items.length / 2);
    const [a, b] = await Promise.all([splitAndRetry(items.slice(0, mid), ask, stats), splitAndRetry(items.slice(mid), ask, stats)]);
    return [...a, ...b];
  }
}
