import pThrottle from 'p-throttle';
import { LocalAdaptiveRate, type AdaptiveParams } from '../adaptive.js';
import { closedError, type Permit, type PermitSource } from './types.js';
import { sleep } from '../../abort.js';

/** extra window length for spacing the first window after an idle one (also used by the Redis script) */
export const COLD_EXTRA_MS = 100;

/** How often a window filled by permits not yet on the wire is looked at again. */
export const PENDING_POLL_MS = 5;

/**
 * The in-process window. Three guards, each for its own reason:
 * - even pacing at window/rate on an ideal timeline (late timers do not accumulate), so requests reach the
 *   provider spread out, and the adaptive rate takes effect at once; a request that reaches the wire late pushes
 *   the next slot to at least half a spacing after it;
 * - a sliding window over the wire times (at most floor(rate) in any window+margin), where a permit not yet on the
 *   wire counts as starting now: the provider counts arrivals, and a request delayed between its permit and the
 *   socket (a busy event loop, a new connection) would otherwise leave together with later ones;
 * - p-throttle in strict mode at the configured qps, the hard ceiling whatever the adaptive state says.
 */
export class LocalPermits implements PermitSource {
  readonly kind = 'local' as const;
  private readonly win: number;
  private readonly hardCap: number;
  private readonly throttled: () => Promise<void>;
  private readonly adaptive: LocalAdaptiveRate;
  private readonly stop = new AbortController();
  /** wire times in the window, oldest first */
  private wires: number[] = [];
  private pending = 0;
  private nextSlot = 0;
  private spacing = 0;
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

  async take(): Promise<Permit> {
    for (;;) {
      if (this.stop.signal.aborted) throw closedError();
      const now = Date.now();
      const rate = this.adaptive.current(now);
      const allowed = Math.min(this.hardCap, Math.max(1, Math.floor(rate)));
      while (this.wires.length && this.wires[0] <= now - this.win) this.wires.shift();
      const count = this.wires.length + this.pending;
      // after an idle window the first requests pay Node's cold paths (new sockets, lazy code) after their permit:
      // space the first window a little wider so those late starts do not bunch up with the next ones
      if (count === 0) this.coldUntil = now + this.win;
      let wait = this.nextSlot - now;
      if (count >= allowed) {
        // the (count - allowed)th oldest wire time must leave; a slot still pending leaves only after it is sent
        const i = count - allowed;
        wait = Math.max(wait, i < this.wires.length ? this.wires[i] + this.win - now : PENDING_POLL_MS);
      }
      if (wait > 0) {
        await sleep(Math.ceil(wait), this.stop.signal);
        continue;
      }
      await this.throttled();
      const t = Date.now();
      this.pending++;
      this.spacing = (this.win + (t < this.coldUntil ? COLD_EXTRA_MS : 0)) / rate;
      // stay on the ideal timeline while less than one spacing late; after an idle gap start afresh
      this.nextSlot = (t - this.nextSlot < this.spacing ? this.nextSlot : t) + this.spacing;
      return this.permit();
    }
  }

  private permit(): Permit {
    let open = true;
    const settle = () => {
      if (!open) return false;
      open = false;
      this.pending--;
      return true;
    };
    return {
      wired: (at) => {
        if (!settle()) return;
        let i = this.wires.length;
        while (i > 0 && this.wires[i - 1] > at) i--;
        this.wires.splice(i, 0, at);
        this.nextSlot = Math.max(this.nextSlot, at + this.spacing / 2);
      },
      release: () => void settle(),
    };
  }

  close(): void {
    this.stop.abort();
  }
}
