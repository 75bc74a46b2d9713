import { RecentTimes } from '../recent.js';

/** Start times of HTTP requests (last 60 s) and of 429s (last 5 min), for the live window and the history graph. */
const KEEP_MS = 60_000;
const KEEP_429_MS = 5 * 60_000;
/** wire delays kept for the distribution (the most recent ones) */
const KEEP_DELAYS = 20_000;

/** The distribution of the time from a permit to the request's wire time, in ms. */
export interface WireDelays {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export class RequestLog {
  total = 0;
  total429 = 0;
  private starts = new RecentTimes();
  private limited: number[] = [];
  private delays: number[] = [];
  private delayAt = 0;

  /** a request reached the wire `ms` after its permit */
  wired(ms: number): void {
    if (this.delays.length < KEEP_DELAYS) this.delays.push(ms);
    else this.delays[this.delayAt++ % KEEP_DELAYS] = ms;
  }

  wireDelays(): WireDelays {
    // a typed copy sorts numerically without a comparator call per pair (20,000 delays on every stats tick)
    const d = Float64Array.from(this.delays).sort();
    const q = (p: number) => (d.length ? d[Math.min(d.length - 1, Math.ceil(p * d.length) - 1)] : 0);
    return { samples: d.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: d.length ? d[d.length - 1] : 0 };
  }

  started(now = Date.now()): void {
    this.total++;
    this.starts.push(now);
    if (this.starts.length > 4096 && this.starts.oldest()! <= now - KEEP_MS) this.prune(now);
  }

  rejected429(now = Date.now()): void {
    this.total429++;
    this.limited.push(now);
    while (this.limited.length && this.limited[0] <= now - KEEP_429_MS) this.limited.shift();
  }

  private prune(now: number): void {
    this.starts.dropWhile((t) => t <= now - KEEP_MS);
  }

  /** requests started in the last `ms` */
  inLast(ms: number, now = Date.now()): number {
    this.prune(now);
    return this.starts.countNewest((t) => t > now - ms);
  }

  /** requests per second over the last 60 s, oldest first */
  history(now = Date.now()): number[] {
    this.prune(now);
    const out = new Array<number>(60).fill(0);
    this.starts.forEach((t) => {
      const age = Math.floor((now - t) / 1000);
      if (age >= 0 && age < 60) out[59 - age]++;
    });
    return out;
  }

  recent429(ms: number, now = Date.now()): number {
    return this.limited.filter((t) => t > now - ms).length;
  }
}
