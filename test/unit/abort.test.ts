import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort, sleep } from '../../src/abort.js';

describe('abort watchers', () => {
  it('follow their signal through one listener, however many come and go', () => {
    const parent = new AbortController();
    for (let i = 0; i < 1000; i++) onAbort(parent.signal, () => {})();
    const reasons: unknown[] = [];
    for (let i = 0; i < 2; i++) onAbort(parent.signal, () => reasons.push(parent.signal.reason));
    let released = false;
    onAbort(parent.signal, () => (released = true))();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort(new Error('daemon stopping'));
    expect(reasons).toHaveLength(2);
    for (const r of reasons) expect((r as Error).message).toBe('daemon stopping');
    expect(released).toBe(false);
  });

  it('run at once when the signal already is aborted', () => {
    const parent = new AbortController();
    parent.abort();
    let ran = false;
    onAbort(parent.signal, () => (ran = true));
    expect(ran).toBe(true);
  });
});

describe('sleep', () => {
  const HOUR = 3_600_000;

  it('waits its time when nothing aborts', async () => {
    let done = false;
    const p = sleep(30, new AbortController().signal).then(() => (done = true));
    expect(done).toBe(false);
    await p;
    expect(done).toBe(true);
  });

  it('is cut short, resolving, by whichever of its signals aborts, and leaves no listener behind', async () => {
    const daemon = new AbortController();
    const caller = new AbortController();
    const waits = Array.from({ length: 50 }, () => sleep(HOUR, caller.signal, daemon.signal, undefined));
    expect(getEventListeners(daemon.signal, 'abort')).toHaveLength(1); // one per parent, not one per wait
    caller.abort();
    await expect(Promise.all(waits)).resolves.toHaveLength(50);
    const other = sleep(HOUR, daemon.signal);
    daemon.abort();
    await expect(other).resolves.toBeUndefined();
  });

  it('does not wait at all on a signal that already aborted', async () => {
    const stopped = new AbortController();
    stopped.abort();
    await expect(sleep(HOUR, stopped.signal)).resolves.toBeUndefined();
  });
});
