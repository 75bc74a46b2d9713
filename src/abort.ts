/** Waiting that a stop cuts short: child signals of the daemon's long-lived signal, and the one abortable sleep. */

const children = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * A short-lived signal that follows a long-lived one (the daemon's), for code that adds an abort listener and never
 * removes it (the OpenAI SDK does, per request) or that would add one per wait. Each parent gets one listener,
 * however many children come and go; adding to a parent with thousands of listeners walked them all each time.
 */
export function childSignal(parent: AbortSignal): { signal: AbortSignal; release: () => void } {
  const ac = new AbortController();
  if (parent.aborted) {
    ac.abort(parent.reason);
    return { signal: ac.signal, release: () => {} };
  }
  let set = children.get(parent);
  if (!set) {
    const own = new Set<AbortController>();
    set = own;
    children.set(parent, own);
    parent.addEventListener(
      'abort',
      () => {
        for (const c of own) c.abort(parent.reason);
        own.clear();
      },
      { once: true },
    );
  }
  const live = set;
  live.add(ac);
  return { signal: ac.signal, release: () => live.delete(ac) };
}

/**
 * Wait `ms`, or less if any of the signals aborts: it resolves either way and never rejects, so the caller decides
 * what a stop means (look at the signal after it: throw a StoppingError, or leave a loop). Hundreds of waits share
 * the daemon's signal at once, so each listens on a child of it, not on the signal itself.
 */
export function sleep(ms: number, ...signals: Array<AbortSignal | null | undefined>): Promise<void> {
  const live = signals.filter((s): s is AbortSignal => !!s);
  if (live.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const children = live.map(childSignal);
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      for (const c of children) {
        c.signal.removeEventListener('abort', done);
        c.release();
      }
      resolve();
    }
    for (const c of children) c.signal.addEventListener('abort', done, { once: true });
  });
}
