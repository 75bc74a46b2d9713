import { LLM_LANES, type LlmLane } from '../../config/schema.js';
import { closedError, type Permit, type PermitSource } from './types.js';
import { onAbort } from '../../abort.js';

/** The lane whose calls a shared window serves ahead of other processes' (see the urgent key in script.ts). */
const FAST_LANE: LlmLane = 'learning';

interface Waiter {
  lane: LlmLane;
  resolve: (permit: Permit) => void;
  reject: (err: unknown) => void;
  cleanup: () => void;
}

/**
 * One pump hands each permit, at the moment it becomes free, to the highest-priority waiter (lower number first,
 * FIFO within a priority). The waiter is chosen after the permit is taken, so a learning call that arrives while
 * hundreds of others wait gets the very next permit.
 */
export class PriorityDispatcher {
  private queues = new Map<number, Waiter[]>();
  private order: number[] = [];
  private size = 0;
  private pumping = false;
  private closed = false;

  constructor(
    private source: PermitSource,
    /** waits before each permit is taken (the tokens-per-minute cap) */
    private beforeTake: () => Promise<void> = async () => {},
  ) {}

  acquire(priority: number, lane: LlmLane, signal?: AbortSignal | null): Promise<Permit> {
    if (this.closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    return new Promise<Permit>((resolve, reject) => {
      let queue = this.queues.get(priority);
      if (!queue) {
        this.queues.set(priority, (queue = []));
        this.order = [...this.queues.keys()].sort((a, b) => a - b);
      }
      const waiter: Waiter = { lane, resolve, reject, cleanup: () => {} };
      queue.push(waiter);
      if (signal)
        waiter.cleanup = onAbort(signal, () => {
          const q = this.queues.get(priority);
          const i = q ? q.indexOf(waiter) : -1;
          if (i >= 0) {
            q!.splice(i, 1);
            this.size--;
          }
          reject(signal.reason ?? new Error('aborted'));
        });
      this.size++;
      if (lane === FAST_LANE) this.source.nudge?.();
      void this.pump();
    });
  }

  private next(): Waiter | undefined {
    for (const p of this.order) {
      const q = this.queues.get(p)!;
      if (q.length) {
        this.size--;
        return q.shift();
      }
    }
    return undefined;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.size > 0) {
        await this.beforeTake();
        const permit = await this.source.take(
          () => Math.max(0, this.size - 1),
          () => this.fastLaneWaiting(),
        );
        const w = this.next();
        if (!w) {
          permit.release(); // every waiter gave up meanwhile: nothing is sent on this slot
          break;
        }
        w.cleanup();
        w.resolve(permit);
      }
    } catch (err) {
      if (!this.closed) this.failAll(err);
    } finally {
      this.pumping = false;
    }
    if (!this.closed && this.size > 0) void this.pump();
  }

  private failAll(err: unknown): void {
    for (const q of this.queues.values()) {
      for (const w of q.splice(0)) {
        w.cleanup();
        w.reject(err);
      }
    }
    this.size = 0;
  }

  /** The waiter the slot being taken will go to is a learning call (the fast lane). */
  private fastLaneWaiting(): boolean {
    for (const p of this.order) {
      const q = this.queues.get(p)!;
      if (q.length) return q[0].lane === FAST_LANE;
    }
    return false;
  }

  waiting(): Record<LlmLane, number> {
    const out = Object.fromEntries(LLM_LANES.map((l) => [l, 0])) as Record<LlmLane, number>;
    for (const q of this.queues.values()) for (const w of q) out[w.lane]++;
    return out;
  }

  get length(): number {
    return this.size;
  }

  close(): void {
    this.closed = true;
    this.failAll(closedError());
  }
}
