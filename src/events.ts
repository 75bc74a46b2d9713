import type { LaneName, PoolName } from './config/schema.js';
import type { Logger } from './log.js';
import { errorMessage } from './errors.js';

type Listener<T> = (payload: T) => void;

/**
 * Typed events emitted safely: a listener that throws (the TUI, a logger) is logged and skipped, never
 * propagated into the worker that emitted.
 */
export class SafeEmitter<E extends object> {
  private listeners = new Map<keyof E, Set<Listener<never>>>();
  constructor(private log?: Logger) {}

  on<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => set!.delete(fn as Listener<never>);
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<E[K]>)(payload);
      } catch (err) {
        this.log?.warn('listener_failed', { event: String(event), error: errorMessage(err) });
      }
    }
  }
}

export interface TaskEvent {
  lane: LaneName;
  pool: PoolName;
  label: string;
  ms?: number;
  error?: string;
}

/** Events emitted per lane task and per LLM call; a listener that throws never breaks a worker. */
export interface VocEvents {
  'task:start': TaskEvent;
  'task:done': TaskEvent;
  'task:failed': TaskEvent;
  /** one HTTP attempt; status 0 = no answer (timeout, connection); attempt > 1 is a retry */
  'llm:call': { lane: string; ms: number; items: number; status: number; attempt?: number };
  'llm:429': { lane: string; rate: number };
  /** a human line for the status screen's event list, in the seed's words */
  'log:line': { text: string };
  /** a chunk was committed (new products are learned automatically) */
  'reviews:ingested': { inserted: number; productIds: string[]; newProducts: string[] };
  /** a job row was created or changed state; services waiting for work re-check */
  'jobs:changed': { id: number; kind: string; status: string };
}
