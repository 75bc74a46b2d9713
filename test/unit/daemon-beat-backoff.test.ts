import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBeat } from '../../src/daemon/beat.js';
import type { DaemonContext } from '../../src/context.js';
import { createLogger } from '../../src/log.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Only what startBeat touches: a Redis that always grants the tick lock, a log that is kept, a signal. */
function fakeCtx(lines: string[]): DaemonContext {
  return {
    config: { redis: { keyPrefix: '' } },
    daemonId: 'd1',
    redis: { set: async () => 'OK' },
    log: createLogger({ write: (l) => lines.push(l), level: 'debug' }),
    signal: new AbortController().signal,
  } as unknown as DaemonContext;
}

describe('the beat', () => {
  it('waits a doubling pause after each failure of a task (its store down) and resets once it succeeds', async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const runs: number[] = [];
    let failing = true;
    const beat = startBeat(fakeCtx(lines), [
      {
        name: 'drain',
        intervalMs: 1000,
        run: async () => {
          runs.push(Date.now());
          if (failing) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        },
      },
    ]);
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(16_000);
    // every 1 s without the pause: 16 tries; with it: after 1, 2, 4, 8 s
    const gaps = runs.slice(1).map((t, i) => t - runs[i]);
    expect(runs.length).toBeLessThanOrEqual(5);
    expect(gaps.every((g, i) => i === 0 || g >= 2 * gaps[i - 1] - 200)).toBe(true);
    const failed = lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'beat_failed');
    expect(failed.at(-1)).toMatchObject({ task: 'drain', failures: runs.length, error: 'connect ECONNREFUSED 127.0.0.1:5432' });
    failing = false;
    await vi.advanceTimersByTimeAsync(20_000);
    const after = runs.filter((t) => t > t0 + 16_000);
    // tried at every check again once it works (the fake lock always grants the tick)
    expect(after.length).toBeGreaterThanOrEqual(3);
    beat.stop();
    await beat.idle();
  });
});
