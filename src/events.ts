import type { Logger } from './log.js';

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
        this.log?.warn('listener_failed', { event: String(event), error: (err as Error)?.message ?? String(err) });
      }
    }
  }
}
