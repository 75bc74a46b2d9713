import { RecentTimes } from '../recent.js';

/** Counters of one lane: totals, a one-minute rate and recent durations for mean and p95. */
export class LaneMetrics {
  done = 0;
  failed = 0;
  retried = 0;
  private finishes = new RecentTimes();
  private durations: number[] = [];
  private static readonly KEEP = 500;

  record(ok: boolean, ms: number, at = Date.now()): void {
    if (ok) this.done++;
    else this.failed++;
    this.finishes.push(at);
    this.durations.push(ms);
    if (this.durations.length > LaneMetrics.KEEP) this.durations.splice(0, this.durations.length - LaneMetrics.KEEP);
    this.trim(at);
  }

  private trim(at: number): void {
    const cutoff = at - 60_000;
    this.finishes.dropWhile((t) => t < cutoff);
  }

  /** tasks finished (done or failed) in the last 60 s */
  ratePerMin(at = Date.now()): number {
    this.trim(at);
    return this.finishes.length;
  }

  meanMs(): number {
    if (!this.durations.length) return 0;
    return Math.round(this.durations.reduce((a, b) => a + b, 0) / this.durations.length);
  }

  p95Ms(): number {
    if (!this.durations.length) return 0;
    const s = [...this.durations].sort((a, b) => a - b);
    return Math.round(s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]);
  }
}
