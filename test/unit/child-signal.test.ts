import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { childSignal } from '../../src/llm/child-signal.js';

describe('child signals', () => {
  it('follow their parent through one listener, however many come and go', () => {
    const parent = new AbortController();
    for (let i = 0; i < 1000; i++) childSignal(parent.signal).release();
    const live = [childSignal(parent.signal), childSignal(parent.signal)];
    const released = childSignal(parent.signal);
    released.release();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort(new Error('daemon stopping'));
    for (const c of live) {
      expect(c.signal.aborted).toBe(true);
      expect((c.signal.reason as Error).message).toBe('daemon stopping');
    }
    expect(released.signal.aborted).toBe(false);
  });

  it('are born aborted when the parent already is', () => {
    const parent = new AbortController();
    parent.abort();
    expect(childSignal(parent.signal).signal.aborted).toBe(true);
  });
});
