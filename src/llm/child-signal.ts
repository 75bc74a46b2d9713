/**
 * A short-lived signal that follows a long-lived one (the daemon's), for code that adds an abort listener and never
 * removes it (the OpenAI SDK does, per request) or that would add one per wait. Each parent gets one listener,
 * however many children come and go; adding to a parent with thousands of listeners walked them all each time.
 */
const children = new WeakMap<AbortSignal, Set<AbortController>>();

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
