import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import type { LlmLane } from '../config/schema.js';
import type { PriorityDispatcher } from './throttle/dispatcher.js';

/** What the fetch below needs to know about the call it is sending (set by the gateway around each attempt). */
export interface AttemptContext {
  priority: number;
  lane: LlmLane;
  /** called the moment the permit is granted, right before the request goes out */
  onStart(): void;
  /** called when the request was written to the socket, with the ms since its permit */
  onWire?(delayMs: number): void;
  /**
   * set by the fetch below: the caller runs it once the attempt is over (answer read, or failed). It clears the
   * attempt's timeout, whose timer would otherwise hold the request's controller, signal and closures until it
   * fires: at 200 requests/s and a 60 s timeout, 12,000 finished requests kept alive, a third of the daemon's heap
   */
  ended?: () => void;
}

export const attemptContext = new AsyncLocalStorage<AttemptContext>();

/**
 * Wire times. Node's fetch (undici) publishes `undici:request:create` inside the caller's async context and
 * `undici:client:sendHeaders` right before the request is written to the socket: the first ties the request to the
 * attempt that holds the permit, the second is the moment the provider's clock starts counting it.
 */
type WireWatch = (at: number) => void;
const wireContext = new AsyncLocalStorage<WireWatch>();
const watched = new WeakMap<object, WireWatch>();
diagnostics.subscribe('undici:request:create', (m) => {
  const watch = wireContext.getStore();
  if (watch) watched.set((m as { request: object }).request, watch);
});
diagnostics.subscribe('undici:client:sendHeaders', (m) => {
  const request = (m as { request: object }).request;
  watched.get(request)?.(Date.now());
  watched.delete(request);
});

/** Longest timer Node accepts; the SDK's own timeout is set to it because the per-attempt timeout is ours. */
export const NO_SDK_TIMEOUT = 2_147_483_647;

/**
 * The fetch the OpenAI SDK uses. The permit is taken here, at the last moment before the request is written, and
 * the window counts the request from its wire time (see Permit): what the throttle counts is what the provider
 * sees. A request that settles without a wire time seen (another fetch) counts from the moment it settled, a time
 * it was surely sent by. The attempt's timeout starts only once the permit is granted, so waiting in the queue
 * never counts against it; the SDK reports the abort as a connection timeout.
 */
export function permitFetch(dispatcher: PriorityDispatcher, timeoutMs: number, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const ctx = attemptContext.getStore();
    const permit = await dispatcher.acquire(ctx?.priority ?? 9, ctx?.lane ?? 'translation', init?.signal);
    const grantedAt = Date.now();
    let sent = false;
    const wired = (at: number) => {
      if (sent) return;
      sent = true;
      permit.wired(at);
      ctx?.onWire?.(at - grantedAt);
    };
    ctx?.onStart();
    // not AbortSignal.timeout(): AbortSignal.any() holds its sources weakly, so a timeout signal nothing else
    // references can be garbage-collected before it fires, and a request the server never answers hangs forever.
    // The timer's closure keeps this controller alive until it fires (unref'd: it never holds a process open).
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
    timer.unref();
    // the body is read after fetch resolves, so the timeout runs until the caller says the attempt is over
    if (ctx) ctx.ended = () => clearTimeout(timer);
    const signal = init?.signal ? AbortSignal.any([init.signal, ac.signal]) : ac.signal;
    try {
      return await wireContext.run(wired, () => base(input, { ...init, signal }));
    } finally {
      wired(Date.now());
    }
  };
}

/**
 * Node loads its fetch implementation on first use, which delays the first real request by tens of ms after its
 * permit: enough to squeeze the first window at the provider. Load it ahead with a request that never leaves the
 * process.
 */
export function warmUpFetch(base: typeof fetch = fetch): void {
  void base('data:,warm-up')
    .then(
      (r) => r.arrayBuffer(),
      () => undefined,
    )
    .catch(() => undefined);
}
