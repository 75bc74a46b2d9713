import { describe, expect, it, vi } from 'vitest';
import { connectExisting, runStatus, type StatusDeps } from '../../src/commands/status.js';
import { idleStats } from '../../src/tui/sample.js';
import { DaemonUnavailableError, VocError } from '../../src/errors.js';
import { tempHome, testConfig } from '../helpers/home.js';

function sink(isTTY = false) {
  const chunks: string[] = [];
  const out = { isTTY, columns: 100, rows: 30, write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { out, text: () => chunks.join('') };
}

function deps(out: NodeJS.WriteStream, live = false): StatusDeps & { streamed: () => number } {
  const stats = idleStats();
  stats.lanes.translation.queued = 321;
  stats.gateway.window = 17;
  let streamed = 0;
  return {
    out,
    live,
    connect: async () => ({
      stats: async () => stats,
      streamStats: async () => {
        streamed++;
      },
      pause: vi.fn(),
      resume: vi.fn(),
    }),
    streamed: () => streamed,
  };
}

describe('voc status command', () => {
  it('--json prints the stats object with the documented keys', async () => {
    const s = sink();
    await runStatus({ json: true }, deps(s.out));
    const parsed = JSON.parse(s.text());
    expect(parsed.lanes.translation).toMatchObject({ queued: 321, active: 0, cap: 100, done: 0, failed: 0 });
    expect(parsed.pools.trans).toMatchObject({ active: 0, cap: 100 });
    expect(parsed.pools.base.cap).toBe(4);
    for (const k of ['qps', 'limit', 'window', 'waiting', 'rejected429', 'adaptiveRate']) expect(parsed.gateway).toHaveProperty(k);
    expect(parsed.gateway.limit).toBe(25);
    for (const k of ['vip', 'standard', 'short', 'calls', 'reviewsPerCall']) expect(parsed.classifier).toHaveProperty(k);
    expect(parsed.backlog).toHaveProperty('etaSeconds');
  });

  it('--once prints one plain frame at 80 columns when stdout is not a terminal', async () => {
    const s = sink(false);
    await runStatus({ once: true }, deps(s.out));
    const text = s.text();
    expect(text).not.toMatch(/\u001b/);
    expect(text).toMatch(/4 translation running\s+321\s+0\/100/);
    expect(text).toContain('window 17/25');
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(text).not.toContain('q quit');
  });

  it('without --once, a non-terminal stdout still gets one frame and no stream is followed', async () => {
    const s = sink(false);
    const d = deps(s.out, false);
    await runStatus({}, d);
    expect(s.text()).toContain('Lanes');
    expect(d.streamed()).toBe(0);
  });

  it('--width and --height size the frame', async () => {
    const s = sink(false);
    await runStatus({ once: true, width: 150, height: 40 }, deps(s.out));
    expect(s.text()).toMatch(/translation.*│ /);
  });

  it('no daemon: one line saying how to start one, exit code 2', async () => {
    const s = sink();
    const d: StatusDeps = { out: s.out, connect: async () => Promise.reject(new DaemonUnavailableError('connect ENOENT voc.sock')) };
    const err = await runStatus({ json: true }, d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VocError);
    expect((err as VocError).exitCode).toBe(2);
    expect((err as VocError).hint).toBeUndefined();
    expect((err as VocError).message).toMatch(/^no daemon is running.*`voc daemon start`$/);
    expect(s.text()).toBe('');
  });

  it('connectExisting never starts a daemon: no socket, no connect', async () => {
    const h = tempHome('st');
    try {
      const err = await connectExisting(testConfig(h.home)).catch((e: unknown) => e);
      expect((err as VocError).code).toBe('DAEMON_UNAVAILABLE');
      expect((err as VocError).exitCode).toBe(2);
    } finally {
      h.cleanup();
    }
  });
});
