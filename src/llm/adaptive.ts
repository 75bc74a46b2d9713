import type { Config } from '../config/schema.js';

/**
 * The adaptive rate: a 429 multiplies the rate by decreaseFactor (floor minQps); it climbs back by recoverStep
 * every recoverEveryMs without a 429, up to qps. When a 429 comes again while the rate is still recovering from
 * the last one, a ceiling just below the rate that drew it is kept for PROBE_STEPS recovery periods, so the rate
 * settles under a provider's lower limit instead of hitting it again every few seconds. The state is a few numbers and the rate is computed lazily from the clock, so the
 * Redis throttle keeps the same state in a hash and computes the same formula inside its Lua script.
 */
export const PROBE_STEPS = 30;

export interface AdaptiveState {
  /** rate right after the last change */
  base: number;
  changedAt: number;
  decreasedAt: number;
  /** ceiling below the rate that drew the last 429 */
  ceiling: number;
}

export interface AdaptiveParams {
  qps: number;
  enabled: boolean;
  decreaseFactor: number;
  minQps: number;
  recoverStep: number;
  recoverEveryMs: number;
  /** 429s within this time of the last decrease were sent before it and do not lower the rate again */
  windowMs: number;
}

export function adaptiveParams(cfg: Config): AdaptiveParams {
  const a = cfg.llm.adaptive;
  return {
    qps: cfg.llm.qps,
    enabled: a.enabled,
    decreaseFactor: a.decreaseFactor,
    minQps: Math.min(a.minQps, cfg.llm.qps),
    recoverStep: a.recoverStep,
    recoverEveryMs: a.recoverEveryMs,
    windowMs: cfg.llm.windowMs + cfg.llm.marginMs,
  };
}

export function rateAt(p: AdaptiveParams, s: AdaptiveState | null, now: number): number {
  if (!s || !p.enabled) return p.qps;
  const steps = Math.floor(Math.max(0, now - s.changedAt) / p.recoverEveryMs);
  let rate = Math.min(p.qps, s.base + steps * p.recoverStep);
  if (now - s.decreasedAt < PROBE_STEPS * p.recoverEveryMs) rate = Math.min(rate, s.ceiling);
  return Math.max(p.minQps, rate);
}

/** The state after a 429 at `now`; null when the 429 is an echo of the last decrease. */
export function after429(p: AdaptiveParams, s: AdaptiveState | null, now: number): AdaptiveState | null {
  if (!p.enabled) return null;
  if (s && now - s.decreasedAt < p.windowMs) return null;
  const rate = rateAt(p, s, now);
  return {
    base: Math.max(p.minQps, rate * p.decreaseFactor),
    changedAt: now,
    decreasedAt: now,
    // a lone 429 (network jitter) only dips the rate; a second one while recovering marks a lower provider limit
    ceiling: s && now - s.decreasedAt < PROBE_STEPS * p.recoverEveryMs ? Math.max(p.minQps, rate - p.recoverStep) : p.qps,
  };
}

/** In-process adaptive rate (no Redis). */
export class LocalAdaptiveRate {
  private state: AdaptiveState | null = null;
  constructor(private p: AdaptiveParams) {}

  current(now = Date.now()): number {
    return rateAt(this.p, this.state, now);
  }

  /** Returns the new rate when this 429 lowered it, else null. */
  on429(now = Date.now()): number | null {
    const next = after429(this.p, this.state, now);
    if (!next) return null;
    this.state = next;
    return next.base;
  }
}
