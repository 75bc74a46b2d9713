import type { LlmLane } from '../config/schema.js';
import type { PriorityDispatcher } from './throttle/dispatcher.js';
import { httpFetch, ON_WIRE } from './http-fetch.js';

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

/** The key under which the gateway hands an attempt's context to the fetch below, through the SDK's fetchOptions. */
const ATTEMPT = Symbol('voc.attempt');
type AttemptInit = RequestInit & { [ATTEMPT]?: AttemptContext };

/** fetchOptions for the SDK: it spreads them into the init of the fetch it calls, symbol keys included. */
export function attemptInit(ctx: AttemptContext): Record<string, never> {
  return { [ATTEMPT]: ctx } as Record<string, never>;
}

/** Longest timer Node accepts; the SDK's own timeout is set to it because the per-attempt timeout is ours. */
export const NO_SDK_TIMEOUT = 2_147_483_647;

/**
 * The fetch the OpenAI SDK uses. The permit is taken here, at the last moment before the request is written, and
 * the window counts the request from its wire time (see Permit): what the throttle counts is what the provider
 * sees. The base fetch reports that time through ON_WIRE; a request that settles without one (another fetch)
 * counts from the moment it settled, a time it was surely sent by. The attempt's timeout starts only once the
 * permit is granted, so waiting in the queue never counts against it; the SDK reports the abort as a connection
 * timeout.
 */
export function permitFetch(dispatcher: PriorityDispatcher, timeoutMs: number, base: typeof fetch = httpFetch()): typeof fetch {
  return async (input, init?: AttemptInit) => {
    const ctx = init?.[ATTEMPT];
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
    // not AbortSignal.timeout() (a timeout signal nothing else references can be garbage-collected before it
    // fires, and a request the server never answers hangs forever), nor AbortSignal.any() (its bookkeeping for
    // weakly held sources is a cost on every call): one controller, aborted by the timer or by the caller's signal.
    // The timer's closure keeps this controller alive until it fires (unref'd: it never holds a process open).
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
    timer.unref();
    const outer = init?.signal;
    const forward = () => ac.abort(outer?.reason);
    if (outer?.aborted) forward();
    else outer?.addEventListener('abort', forward, { once: true });
    // the body may be read after fetch resolves, so the timeout runs until the caller says the attempt is over
    if (ctx)
      ctx.ended = () => {
        clearTimeout(timer);
        outer?.removeEventListener('abort', forward);
      };
    try {
      return await base(input, { ...init, signal: ac.signal, [ON_WIRE]: wired } as RequestInit);
    } finally {
      wired(Date.now());
    }
  };
}
