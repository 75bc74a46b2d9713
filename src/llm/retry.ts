import { errorMessage } from '../errors.js';
import { ProviderConnectionError, ProviderHttpError } from './chat-http.js';

/** What one failed HTTP attempt means for the call. */
export type Verdict =
  | { kind: 'retry'; reason: string; status: number; retryAfterMs?: number; rateLimited: boolean }
  | { kind: 'fatal'; reason: string; status: number }
  | { kind: 'aborted' };

/** `retry-after-ms` (milliseconds), else `Retry-After` (seconds or an HTTP date), from an answer's headers. */
export function retryAfterMs(header: (name: string) => string | null, now = Date.now()): number | undefined {
  const rams = header('retry-after-ms');
  const ms = Number(rams);
  if (rams !== null && rams.trim() !== '' && Number.isFinite(ms) && ms >= 0) return ms;
  const ra = header('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export function classify(err: unknown, callerSignal?: AbortSignal | null): Verdict {
  if (callerSignal?.aborted) return { kind: 'aborted' };
  if (err instanceof ProviderHttpError) {
    const status = err.status;
    const after = retryAfterMs((name) => err.header(name));
    if (status === 429) return { kind: 'retry', reason: 'HTTP 429 rate limited', status, retryAfterMs: after, rateLimited: true };
    if (status >= 500 || status === 408 || status === 409)
      return { kind: 'retry', reason: `HTTP ${status}: ${err.message}`, status, retryAfterMs: after, rateLimited: false };
    return { kind: 'fatal', reason: `HTTP ${status}: ${err.message}`, status };
  }
  if ((err as Error)?.name === 'TimeoutError') return { kind: 'retry', reason: 'request timed out', status: 0, rateLimited: false };
  if (err instanceof ProviderConnectionError)
    return { kind: 'retry', reason: `connection error: ${err.message}`, status: 0, rateLimited: false };
  // an answer that is not JSON (a proxy's error page with a 200, a cut body)
  if (err instanceof SyntaxError) return { kind: 'retry', reason: `unreadable response: ${err.message}`, status: 0, rateLimited: false };
  return { kind: 'fatal', reason: errorMessage(err), status: 0 };
}

/** Exponential back-off with jitter: base * 2^(attempt-1) capped at max, then a random 50-100% of it. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, rand = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + rand() * (d / 2));
}
