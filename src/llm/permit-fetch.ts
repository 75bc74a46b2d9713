import { AsyncLocalStorage } from 'node:async_hooks';
import type { LlmLane } from '../config/schema.js';
import type { PriorityDispatcher } from './throttle/dispatcher.js';

/** What the fetch below needs to know about the call it is sending (set by the gateway around each attempt). */
export interface AttemptContext {
  priority: number;
  lane: LlmLane;
  /** called the moment the permit is granted, right before the request goes out */
  onStart(): void;
}

export const attemptContext = new AsyncLocalStorage<AttemptContext>();

/** Longest timer Node accepts; the SDK's own timeout is set to it because the per-attempt timeout is ours. */
export const NO_SDK_TIMEOUT = 2_147_483_647;

/**
 * The fetch the OpenAI SDK uses. The permit is taken here, at the last moment before the request is written,
 * so the SDK's own preparation never sits between the throttle's clock and the provider's: what the throttle
 * counts is what the provider sees. The attempt's timeout starts only once the permit is granted, so waiting
 * in the queue never counts against it; the SDK reports the abort as a connection timeout.
 */
export function permitFetch(dispatcher: PriorityDispatcher, timeoutMs: number, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const ctx = attemptContext.getStore();
    await dispatcher.acquire(ctx?.priority ?? 9, ctx?.lane ?? 'translation', init?.signal);
    ctx?.onStart();
    // not AbortSignal.timeout(): AbortSignal.any() holds its sources weakly, so a timeout signal nothing else
    // references can be garbage-collected before it fires, and a request the server never answers hangs forever.
    // The timer's closure keeps this controller alive until it fires (unref'd: it never holds a process open).
    const ac = new AbortController();
    setTimeout(() => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs).unref();
    const signal = init?.signal ? AbortSignal.any([init.signal, ac.signal]) : ac.signal;
    return base(input, { ...init, signal });
  };
}

/**
 * Node loads its fetch implementation on first use, which delays the first real request by tens of ms after its
 * permit: enough to squeeze the first window at the provider. Load it ahead with a request that never leaves the
 * process.
 */
export function warmUpFetch(base: typeof fetch = fetch): void {
  void base('data:,warm-up').then((r) => r.arrayBuffer(), () => undefined).catch(() => undefined);
}
