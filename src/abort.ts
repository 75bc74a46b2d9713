/** Waiting that a stop cuts short: listeners on the daemon's long-lived signal, and the one abortable sleep. */

const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Run `fn` once when `signal` aborts (at once when it has), until the returned release is called. Each signal gets
 * one listener of its own however many callers come and go: Node's EventTarget walks a signal's listeners on every
 * add and remove, and the daemon's long-lived signal has one caller per request in flight.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  let set = watchers.get(signal);
  if (!set) {
    const own = new Set<() => void>();
    set = own;
    watchers.set(signal, own);
    signal.addEventListener(
      'abort',
      () => {
        const fns = [...own];
        own.clear();
        for (const f of fns) f();
      },
      { once: true },
    );
  }
  const live = set;
  live.add(fn);
  return () => live.delete(fn);
}

/**
 * Wait `ms`, or less if any of the signals aborts: it resolves either way and never rejects, so the caller decides
 * what a stop means (look at the signal after it: throw a StoppingError, or leave a loop). Hundreds of waits share
 * the daemon's signal at once, so each listens through onAbort, not on the signal itself.
 */
export function sleep(ms: number, ...signals: Array<AbortSignal | null | undefined>): Promise<void> {
  const live = signals.filter((s): s is AbortSignal => !!s);
  if (live.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, Math.max(0, ms));
    const releases = live.map((s) => onAbort(s, done));
    function done() {
      clearTimeout(t);
      for (const release of releases) release();
      resolve();
    }
  });
}
