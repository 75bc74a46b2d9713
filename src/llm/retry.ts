import OpenAI from 'openai';
import { errorMessage } from '../errors.js';

/** What one failed HTTP attempt means for the call. */
export type Verdict =
  | { kind: 'retry'; reason: string; status: number; retryAfterMs?: number; rateLimited: boolean }
  | { kind: 'fatal'; reason: string; status: number }
  | { kind: 'aborted' };

function header(headers: Headers | undefined, name: string): string | null {
  try {
    return headers?.get(name) ?? null;
  } catch {
    return null;
  }
}

/** `retry-after-ms` (milliseconds), else `Retry-After` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'));
  if (header(headers, 'retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const ra = header(headers, 'retry-after');
  if (ra === null) return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export function classify(err: unknown, callerSignal?: AbortSignal | null): Verdict {
  if (callerSignal?.aborted) return { kind: 'aborted' };
  if (err instanceof OpenAI.APIUserAbortError) return { kind: 'aborted' };
  if (err instanceof OpenAI.APIConnectionTimeoutError) return { kind: 'retry', reason: 'request timed out', status: 0, rateLimited: false };
  if (err instanceof OpenAI.APIConnectionError)
    return { kind: 'retry', reason: `connection error: ${err.message}`, status: 0, rateLimited: false };
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    const status = err.status;
    const after = retryAfterMs(err.headers);
    if (status === 429) return { kind: 'retry', reason: 'HTTP 429 rate limited', status, retryAfterMs: after, rateLimited: true };
    if (status >= 500 || status === 408 || status === 409)
      return { kind: 'retry', reason: `HTTP ${status}: ${err.message}`, status, retryAfterMs: after, rateLimited: false };
    return { kind: 'fatal', reason: `HTTP ${status}: ${err.message}`, status };
  }
  // the body was cut while it was read: our per-attempt timeout, or the connection dropped
  const name = (err as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return { kind: 'retry', reason: 'request timed out', status: 0, rateLimited: false };
  if (err instanceof TypeError && /terminated|fetch failed|socket/i.test(err.message))
    return { kind: 'retry', reason: `connection error: ${err.message}`, status: 0, rateLimited: false };
  if (err instanceof SyntaxError) return { kind: 'retry', reason: `unreadable response: ${err.message}`, status: 0, rateLimited: false };
  return { kind: 'fatal', reason: errorMessage(err), status: 0 };
}

/** Exponential back-off with jitter: base * 2^(attempt-1) capped at max, then a random 50-100% of it. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, rand = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + rand() * (d / 2));
}
