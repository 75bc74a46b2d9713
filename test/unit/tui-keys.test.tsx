import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { LiveStatus, type StatusClient } from '../../src/tui/LiveStatus.js';
import { idleStats } from '../../src/tui/sample.js';
import type { Stats } from '../../src/daemon/stats-types.js';
import type { LaneName } from '../../src/config/schema.js';

/** A client whose stream frames the test pushes by hand; pause/resume flip the lane in the next frame. */
function fakeClient(first: Stats) {
  let push: ((s: Stats) => void) | null = null;
  let current = first;
  const calls: string[] = [];
  let aborted = false;
  const flip = (lane: LaneName, paused: boolean) => {
    calls.push(`${paused ? 'pause' : 'resume'} ${lane}`);
    current = { ...current, lanes: { ...current.lanes, [lane]: { ...current.lanes[lane], paused } } };
    push?.(current);
    return Promise.resolve({ lane, paused });
  };
  const client: StatusClient = {
    streamStats: (onStats, signal) =>
      new Promise<void>((resolve) => {
        push = onStats;
        onStats(current);
        signal.addEventListener('abort', () => {
          aborted = true;
          resolve();
        });
      }),
    pause: vi.fn((lane: LaneName) => flip(lane, true)),
    resume: vi.fn((lane: LaneName) => flip(lane, false)),
  };
  return {
    client,
    calls,
    send: (s: Stats) => {
      current = s;
      push?.(s);
    },
    get aborted() {
      return aborted;
    },
  };
}

const settle = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 10 });

afterEach(() => cleanup());

describe('live status screen', () => {
  it('draws each streamed frame', async () => {
    const s = idleStats();
    const fake = fakeClient(s);
    const app = render(<LiveStatus client={fake.client} />);
    await settle(() => expect(app.lastFrame()).toContain('window 0/25'));
    const next = idleStats();
    next.gateway = { ...next.gateway, window: 19, qps: 18.5 };
    next.lanes.translation = { ...next.lanes.translation, queued: 321, active: 42 };
    fake.send(next);
    await settle(() => expect(app.lastFrame()).toContain('window 19/25 · 18.5 qps'));
    expect(app.lastFrame()).toMatch(/4 translation running\s+321\s+42\/100/);
    expect(app.lastFrame()).toContain('q quit  p+1..6 pause/resume a lane');
  });

  it('p then a lane number pauses that lane, and again resumes it', async () => {
    const fake = fakeClient(idleStats());
    const app = render(<LiveStatus client={fake.client} />);
    await settle(() => expect(app.lastFrame()).toContain('Lanes'));
    app.stdin.write('p');
    await settle(() => expect(app.lastFrame()).toContain('pause/resume lane: 1 ingestion'));
    app.stdin.write('4');
    await settle(() => expect(fake.calls).toEqual(['pause translation']));
    await settle(() => expect(app.lastFrame()).toMatch(/4 translation PAUSED/));
    expect(app.lastFrame()).toContain('translation paused: queued work waits');
    app.stdin.write('p');
    await settle(() => expect(app.lastFrame()).toContain('pause/resume lane:'));
    app.stdin.write('4');
    await settle(() => expect(fake.calls).toEqual(['pause translation', 'resume translation']));
    await settle(() => expect(app.lastFrame()).toMatch(/4 translation running/));
  });

  it('a digit without p, or p then a non-lane key, switches nothing', async () => {
    const fake = fakeClient(idleStats());
    const app = render(<LiveStatus client={fake.client} />);
    await settle(() => expect(app.lastFrame()).toContain('Lanes'));
    app.stdin.write('4');
    app.stdin.write('p');
    await settle(() => expect(app.lastFrame()).toContain('pause/resume lane:'));
    app.stdin.write('9');
    await settle(() => expect(app.lastFrame()).toContain('no lane "9"'));
    expect(fake.calls).toEqual([]);
  });

  it('p and a digit typed in one burst pause the lane; esc after p cancels', async () => {
    const fake = fakeClient(idleStats());
    const app = render(<LiveStatus client={fake.client} />);
    await settle(() => expect(app.lastFrame()).toContain('Lanes'));
    app.stdin.write('p6');
    await settle(() => expect(fake.calls).toEqual(['pause theme_extraction']));
    app.stdin.write('p');
    await settle(() => expect(app.lastFrame()).toContain('pause/resume lane:'));
    app.stdin.write('\u001b');
    await settle(() => expect(app.lastFrame()).toContain('q quit'));
    app.stdin.write('1');
    expect(fake.calls).toEqual(['pause theme_extraction']);
  });

  it('q quits and stops following the stream', async () => {
    const fake = fakeClient(idleStats());
    const app = render(<LiveStatus client={fake.client} />);
    await settle(() => expect(app.lastFrame()).toContain('Lanes'));
    app.stdin.write('q');
    await settle(() => expect(fake.aborted).toBe(true));
  });

  it('a stream that ends says so instead of freezing silently', async () => {
    const client: StatusClient = {
      streamStats: async (onStats) => onStats(idleStats()),
      pause: vi.fn(),
      resume: vi.fn(),
    };
    const app = render(<LiveStatus client={client} />);
    await settle(() => expect(app.lastFrame()).toContain('daemon stream ended'));
  });
});
