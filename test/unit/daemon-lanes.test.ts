import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { LANES, type LaneName, type PoolName } from '../../src/config/schema.js';
import { SafeEmitter, type VocEvents } from '../../src/events.js';
import { silentLogger } from '../../src/log.js';
import { createLaneRunner, type Lanes } from '../../src/lanes/runner.js';

function runner(overrides: Record<string, unknown> = {}, events = new SafeEmitter<VocEvents>()): Lanes {
  const noJitter = Object.fromEntries(['base', 'vip', 'trans', 'insight', 'theme'].map((p) => [`pools.${p}.jitterMs`, [0, 0]]));
  const config = loadConfig({ env: { VOC_HOME: '/nonexistent-voc-home' }, overrides: { ...noJitter, ...overrides } });
  return createLaneRunner({ config, events, log: silentLogger, signal: new AbortController().signal });
}

/** A task that runs until released, recording the pool that took it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

describe('lanes and pools', () => {
  it('routes each lane to its pools: base never runs an LLM lane, insight/theme never take ingestion', async () => {
    const r = runner({ 'pools.base.cap': 2 });
    const seen: Array<[LaneName, PoolName]> = [];
    const tasks: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      for (const lane of LANES) tasks.push(r.submit({ lane, label: lane, run: async ({ pool }) => void seen.push([lane, pool]) }));
    }
    await Promise.all(tasks);
    for (const [lane, pool] of seen) {
      if (lane === 'ingestion' || lane === 'reports') expect(pool).toBe('base');
      else expect(pool).not.toBe('base');
      if (pool === 'insight' || pool === 'theme') expect(['learning', 'insight_extraction', 'theme_extraction']).toContain(lane);
    }
    expect(seen.filter(([l]) => l === 'ingestion')).toHaveLength(20);
  });

  it('a saturated translation lane does not delay insight or theme tasks', async () => {
    const r = runner({ 'pools.trans.cap': 5 });
    const g = gate();
    const blocked = Array.from({ length: 50 }, () => r.submit({ lane: 'translation', label: 't', run: () => g.opened }));
    await until(() => r.active('translation') === 5);
    expect(r.queued('translation')).toBe(45);
    const ins = await r.submit({ lane: 'insight_extraction', label: 'i', run: async ({ pool }) => pool });
    const thm = await r.submit({ lane: 'theme_extraction', label: 'th', run: async ({ pool }) => pool });
    expect([ins, thm]).toEqual(['insight', 'theme']);
    expect(r.active('translation')).toBe(5);
    g.open();
    await Promise.all(blocked);
  });

  it('learning overflows into insight/theme only when vip is full, then queues on vip', async () => {
    const r = runner({ 'pools.vip.cap': 2, 'pools.insight.cap': 1, 'pools.theme.cap': 1 });
    const g = gate();
    const pools: PoolName[] = [];
    const learn = () => r.submit({ lane: 'learning', label: 'l', run: async ({ pool }) => (pools.push(pool), g.opened) });
    const first = [learn(), learn()];
    await until(() => pools.length === 2);
    expect(pools).toEqual(['vip', 'vip']);
    const more = [learn(), learn(), learn()];
    await until(() => pools.length === 4);
    expect(pools.slice(2)).toEqual(['insight', 'theme']);
    expect(r.poolStats().vip.queued).toBe(1);
    expect(r.poolStats().insight.serving).toEqual(['learning']);
    g.open();
    await Promise.all([...first, ...more]);
    expect(pools[4]).toBe('vip');
  });

  it('never exceeds a pool cap with slow tasks (instrumented peak)', async () => {
    const caps = { base: 3, vip: 4, trans: 6, insight: 5, theme: 2 };
    const r = runner(Object.fromEntries(Object.entries(caps).map(([p, c]) => [`pools.${p}.cap`, c])));
    const tasks: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      for (const lane of LANES) tasks.push(r.submit({ lane, label: lane, run: () => new Promise((res) => setTimeout(res, 2 + (i % 5))) }));
    }
    await Promise.all(tasks);
    const stats = r.poolStats();
    for (const [p, cap] of Object.entries(caps)) {
      expect(stats[p as PoolName].peak).toBeLessThanOrEqual(cap);
      expect(stats[p as PoolName].peak).toBeGreaterThan(0);
    }
    expect(stats.trans.peak).toBe(caps.trans);
    const ls = r.laneStats();
    expect(ls.translation.done).toBe(60);
    expect(ls.translation.ratePerMin).toBe(60);
    expect(ls.translation.p95Ms).toBeGreaterThan(0);
  });

  it('a throwing event listener does not break a task, and failures are counted', async () => {
    const events = new SafeEmitter<VocEvents>(silentLogger);
    events.on('task:start', () => {
      throw new Error('listener bug');
    });
    events.on('task:done', () => {
      throw new Error('listener bug');
    });
    const failed: string[] = [];
    events.on('task:failed', (e) => failed.push(e.error ?? ''));
    const r = runner({}, events);
    expect(await r.submit({ lane: 'reports', label: 'r', run: async () => 42 })).toBe(42);
    await expect(r.submit({ lane: 'reports', label: 'r', run: async () => Promise.reject(new Error('boom')) })).rejects.toThrow('boom');
    expect(failed).toEqual(['boom']);
    expect(r.laneStats().reports).toMatchObject({ done: 1, failed: 1 });
  });

  it('a paused lane takes no new task, keeps its queue, and resume drains it', async () => {
    const r = runner();
    r.setPaused('translation', true);
    let ran = 0;
    const tasks = Array.from({ length: 10 }, () => r.submit({ lane: 'translation', label: 't', run: async () => void ran++ }));
    // other lanes keep running while translation is paused
    await r.submit({ lane: 'insight_extraction', label: 'i', run: async () => {} });
    await new Promise((res) => setTimeout(res, 20));
    expect(ran).toBe(0);
    expect(r.queued('translation')).toBe(10);
    expect(r.laneStats().translation.paused).toBe(true);
    r.setPaused('translation', false);
    await Promise.all(tasks);
    expect(ran).toBe(10);
    expect(r.queued('translation')).toBe(0);
  });

  it('pausing holds tasks already waiting in the pool queue', async () => {
    const r = runner({ 'pools.trans.cap': 1 });
    const g = gate();
    let ran = 0;
    const first = r.submit({ lane: 'translation', label: 'first', run: () => g.opened });
    const rest = Array.from({ length: 5 }, () => r.submit({ lane: 'translation', label: 't', run: async () => void ran++ }));
    await until(() => r.active('translation') === 1);
    r.setPaused('translation', true);
    g.open();
    await first;
    await new Promise((res) => setTimeout(res, 20));
    expect(ran).toBe(0);
    expect(r.queued('translation')).toBe(5);
    r.setPaused('translation', false);
    await Promise.all(rest);
    expect(ran).toBe(5);
  });

  it('an LLM task waits out its start-up delay before it takes a slot, and drain refuses it while it waits', async () => {
    const r = runner({ 'pools.trans.cap': 1, 'pools.trans.jitterMs': [60_000, 60_000] });
    const delayed = r.submit({ lane: 'translation', label: 'delayed', run: async () => 'ran' });
    // the slot stays free for tasks whose delay is over: only the waiting count shows it
    expect(r.poolStats().trans).toMatchObject({ active: 0, queued: 1 });
    expect(r.list().queued.map((j) => j.label)).toEqual(['delayed']);
    expect(r.queued('translation')).toBe(1);
    expect(await r.drain(1000)).toBe(true);
    await expect(delayed).rejects.toThrow('stopping');
  });

  it('drain refuses waiting tasks and waits for the running ones', async () => {
    const r = runner({ 'pools.base.cap': 1 });
    const g = gate();
    const running = r.submit({ lane: 'reports', label: 'long', run: () => g.opened.then(() => 'finished') });
    const waiting = r.submit({ lane: 'reports', label: 'waits', run: async () => 'never' });
    await until(() => r.active('reports') === 1);
    const drained = r.drain(5000);
    await expect(waiting).rejects.toThrow('stopping');
    await expect(r.submit({ lane: 'reports', label: 'late', run: async () => 1 })).rejects.toThrow('stopping');
    g.open();
    expect(await running).toBe('finished');
    expect(await drained).toBe(true);
  });

  it('a learning task alone in its pool starts without the start-up jitter; tasks of a burst still wait theirs', async () => {
    // a minute of jitter: a task that waited it would not finish within the test
    const r = runner({ 'pools.vip.jitterMs': [60000, 60000] });
    const started: string[] = [];
    await r.submit({ lane: 'learning', label: 'alone', run: async () => void started.push('alone') });
    expect(started).toEqual(['alone']);

    // a burst: the first task holds the pool while two more arrive; they are spread by the jitter, not run at once
    const g = gate();
    const first = r.submit({ lane: 'learning', label: 'b0', run: async () => (started.push('b0'), g.opened) });
    await until(() => started.includes('b0'));
    // refused by the drain below while they still wait their jitter
    r.submit({ lane: 'learning', label: 'b1', run: async () => void started.push('b1') }).catch(() => {});
    r.submit({ lane: 'learning', label: 'b2', run: async () => void started.push('b2') }).catch(() => {});
    await until(() => r.queued('learning') === 2); // waiting their jitter, before taking a slot
    await new Promise((res) => setTimeout(res, 200));
    expect(started).toEqual(['alone', 'b0']);
    g.open();
    await first;
    await r.drain(0);
  });

  it("counts a lane's LLM requests sent again as its retries", () => {
    const events = new SafeEmitter<VocEvents>();
    const r = runner({}, events);
    events.emit('llm:call', { lane: 'translation', ms: 5, items: 5, status: 429, attempt: 1 });
    events.emit('llm:call', { lane: 'translation', ms: 5, items: 5, status: 200, attempt: 2 });
    events.emit('llm:call', { lane: 'learning', ms: 5, items: 1, status: 200, attempt: 3 });
    events.emit('llm:call', { lane: 'learning', ms: 5, items: 1, status: 200 });
    expect(r.laneStats().translation.retried).toBe(1);
    expect(r.laneStats().learning.retried).toBe(1);
    expect(r.laneStats().insight_extraction.retried).toBe(0);
  });
});
