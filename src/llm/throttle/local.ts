import pThrottle from 'p-throttle';
import { LocalAdaptiveRate, type AdaptiveParams } from '../adaptive.js';
import { ClosedError, sleep, type PermitSource } from './types.js';

/** extra window length for spacing the first window after an idle one (also used by the Redis script) */
export const COLD_EXTRA_MS = 100;

/**
 * The in-process window. Three guards, each for its own reason:
 * - even pacing at window/rate on an ideal timeline (late timers do not accumulate), so requests reach the
 *   provider spread out, and the adaptive rate takes effect at once;
 * - a sliding window over the actual start times (at most floor(rate) in any window+margin), which holds the cap
 *   even when the event loop delays a start;
 * - p-throttle in strict mode at the configured qps, the hard ceiling whatever the adaptive state says.
 */
export class LocalPermits implements PermitSource {
  readonly kind = 'local' as const;
  private readonly win: number;
  private readonly hardCap: number;
  private readonly throttled: () => Promise<void>;
  private readonly adaptive: LocalAdaptiveRate;
  private readonly stop = new AbortController();
  private starts: number[] = [];
  private nextSlot = 0;
  private coldUntil = 0;

  constructor(private p: AdaptiveParams) {
    this.win = p.windowMs;
    this.hardCap = Math.max(1, Math.floor(p.qps));
    this.adaptive = new LocalAdaptiveRate(p);
    this.throttled = pThrottle({ limit: this.hardCap, interval: this.win, strict: true, signal: this.stop.signal })(async () => undefined);
  }

  rate(): number {
    return this.adaptive.current();
  }

  healthy(): boolean {
    return true;
  }

  async on429(): Promise<number | null> {
    return this.adaptive.on429();
  }

  async take(): Promise<void> {
    for (;;) {
      if (this.stop.signal.aborted) throw new ClosedError();
      const now = Date.now();
      const rate = this.adaptive.current(now);
      const allowed = Math.min(this.hardCap, Math.max(1, Math.floor(rate)));
      while (this.starts.length && this.starts[0] <= now - this.win) this.starts.shift();
      // after an idle window the first requests pay Node's cold paths (new sockets, lazy code) after their permit:
      // space the first window a little wider so those late starts do not bunch up with the next ones
      if (this.starts.length === 0) this.coldUntil = now + this.win;
      let wait = this.nextSlot - now;
      if (this.starts.length >= allowed) wait = Math.max(wait, this.starts[this.starts.length - allowed] + this.win - now);
      if (wait > 0) {
        await sleep(Math.ceil(wait), this.stop.signal);
        continue;
      }
      await this.throttled();
      const t = Date.now();
      this.starts.push(t);
      const spacing = (this.win + (t < this.coldUntil ? COLD_EXTRA_MS : 0)) / rate;
      // stay on the ideal timeline while less than one spacing late; after an idle gap start afresh
      this.nextSlot = (t - this.nextSlot < spacing ? this.nextSlot : t) + spacing;
      return;
    }
  }

  close(): void {
    this.stop.abort();
  }
}
