/** Counters of one lane: totals, a one-minute rate and recent durations for mean and p95. */
export class LaneMetrics {
  done = 0;
  failed = 0;
  retried = 0;
  private finishes: number[] = [];
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

  // finishes before `head` are out of the minute; they are cut off in bulk, as a splice per task (12,000 finishes
  // a minute at 200 calls/s) cost more than the task's other bookkeeping
  private head = 0;

  private trim(at: number): void {
    const cutoff = at - 60_000;
    let i = this.head;
    while (i < this.finishes.length && this.finishes[i] < cutoff) i++;
    this.head = i;
    if (i >= 1024 && i * 2 >= this.finishes.length) {
      this.finishes.splice(0, i);
      this.head = 0;
    }
  }

  /** tasks finished (done or failed) in the last 60 s */
  ratePerMin(at = Date.now()): number {
    this.trim(at);
    return this.finishes.length - this.head;
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
