/** Start times of HTTP requests (last 60 s) and of 429s (last 5 min), for the live window and the history graph. */
const KEEP_MS = 60_000;
const KEEP_429_MS = 5 * 60_000;

export class RequestLog {
  total = 0;
  total429 = 0;
  private starts: number[] = [];
  private limited: number[] = [];

  started(now = Date.now()): void {
    this.total++;
    this.starts.push(now);
    if (this.starts.length > 4096 && this.starts[0] <= now - KEEP_MS) this.prune(now);
  }

  rejected429(now = Date.now()): void {
    this.total429++;
    this.limited.push(now);
    while (this.limited.length && this.limited[0] <= now - KEEP_429_MS) this.limited.shift();
  }

  private prune(now: number): void {
    let i = 0;
    while (i < this.starts.length && this.starts[i] <= now - KEEP_MS) i++;
    if (i) this.starts = this.starts.slice(i);
  }

  /** requests started in the last `ms` */
  inLast(ms: number, now = Date.now()): number {
    this.prune(now);
    let n = 0;
    for (let i = this.starts.length - 1; i >= 0 && this.starts[i] > now - ms; i--) n++;
    return n;
  }

  /** requests per second over the last 60 s, oldest first */
  history(now = Date.now()): number[] {
    this.prune(now);
    const out = new Array<number>(60).fill(0);
    for (const t of this.starts) {
      const age = Math.floor((now - t) / 1000);
      if (age >= 0 && age < 60) out[59 - age]++;
    }
    return out;
  }

  recent429(ms: number, now = Date.now()): number {
    return this.limited.filter((t) => t > now - ms).length;
  }
}
