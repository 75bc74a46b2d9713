import { describe, expect, it } from 'vitest';
import { after429, rateAt, PROBE_STEPS, type AdaptiveParams } from '../../src/llm/adaptive.js';
import { backoffMs, retryAfterMs } from '../../src/llm/retry.js';
import { PriorityDispatcher } from '../../src/llm/throttle/dispatcher.js';
import { LocalPermits } from '../../src/llm/throttle/local.js';
import type { Permit, PermitSource } from '../../src/llm/throttle/types.js';
import { UsageLedger } from '../../src/llm/usage.js';
import { silentLogger } from '../../src/log.js';

const P: AdaptiveParams = {
  qps: 25,
  enabled: true,
  decreaseFactor: 0.8,
  minQps: 1,
  recoverStep: 0.5,
  recoverEveryMs: 2000,
  windowMs: 1015,
};

/** A permit source the test hands permits out of, one at a time. */
function manualSource() {
  const pending: Array<() => void> = [];
  const released: Permit[] = [];
  const permit = (): Permit => {
    const p: Permit = { wired: () => {}, release: () => void released.push(p) };
    return p;
  };
  const source: PermitSource = {
    kind: 'local',
    take: () => new Promise<Permit>((r) => pending.push(() => r(permit()))),
    rate: () => 25,
    on429: async () => null,
    healthy: () => true,
    close: () => {},
  };
  return {
    source,
    released,
    async grant() {
      while (!pending.length) await new Promise((r) => setImmediate(r));
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('priority dispatcher', () => {
  it('hands the next permit to a learning call that arrived after 300 waiting calls, FIFO within a priority', async () => {
    const m = manualSource();
    const d = new PriorityDispatcher(m.source);
    const order: string[] = [];
    const all = Array.from({ length: 300 }, (_, i) => d.acquire(1, 'translation').then(() => order.push(`t${i}`)));
    await m.grant();
    expect(order).toEqual(['t0']);
    all.push(d.acquire(0, 'learning').then(() => order.push('learn')));
    expect(d.waiting()).toMatchObject({ translation: 299, learning: 1 });
    await m.grant();
    await m.grant();
    expect(order).toEqual(['t0', 'learn', 't1']);
    d.close();
    await Promise.allSettled(all);
  });

  it('drops a waiter whose signal aborts without using a permit for it', async () => {
    const m = manualSource();
    const d = new PriorityDispatcher(m.source);
    const a = new AbortController();
    const first = d.acquire(1, 'translation', a.signal);
    const second = d.acquire(1, 'insight_extraction');
    a.abort(new Error('stop'));
    await expect(first).rejects.toThrow('stop');
    await m.grant();
    await expect(second).resolves.toMatchObject({ wired: expect.any(Function) });
    expect(m.released).toHaveLength(0);
    expect(d.length).toBe(0);
    d.close();
  });
});

describe('local window on wire times', () => {
  const params: AdaptiveParams = { ...P, qps: 2, windowMs: 200 };

  it('a permit not yet on the wire keeps its slot, then counts from its wire time', async () => {
    const w = new LocalPermits(params);
    try {
      const first = await w.take();
      await w.take();
      let grantedAt = 0;
      const third = w.take().then((p) => ((grantedAt = Date.now()), p));
      await new Promise((r) => setTimeout(r, 2 * params.windowMs));
      expect(grantedAt).toBe(0); // both permits are still off the wire: each may leave at any moment
      const wiredAt = Date.now();
      first.wired(wiredAt);
      await third;
      expect(grantedAt - wiredAt).toBeGreaterThanOrEqual(params.windowMs - 1);
    } finally {
      w.close();
    }
  });

  it('a released permit frees its slot at once', async () => {
    const w = new LocalPermits(params);
    try {
      const first = await w.take();
      await w.take();
      let granted = false;
      const third = w.take().then(() => (granted = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(granted).toBe(false);
      first.release();
      await third;
      expect(granted).toBe(true);
    } finally {
      w.close();
    }
  });
});

describe('adaptive rate', () => {
  it('a 429 lowers the rate by the factor; echoes within a window do not lower it again', () => {
    const s = after429(P, null, 0)!;
    expect(rateAt(P, s, 0)).toBe(20);
    expect(after429(P, s, 500)).toBeNull();
    expect(rateAt(P, after429(P, s, 1500)!, 1500)).toBeCloseTo(16, 9);
  });

  it('climbs back by recoverStep per period to qps after a lone 429', () => {
    const s = after429(P, null, 0)!;
    expect(rateAt(P, s, 3999)).toBe(20.5);
    expect(rateAt(P, s, 20_000)).toBe(25);
  });

  it('a second 429 while recovering keeps the rate under the one that drew it for a while, then probes qps again', () => {
    const first = after429(P, null, 0)!;
    expect(rateAt(P, first, 4000)).toBe(21);
    const second = after429(P, first, 4000)!;
    expect(rateAt(P, second, 4000)).toBeCloseTo(16.8, 9);
    expect(rateAt(P, second, 4000 + 20_000)).toBe(20.5);
    expect(rateAt(P, second, 4000 + PROBE_STEPS * 2000)).toBe(25);
  });

  it('never goes below minQps and is off when disabled', () => {
    let s = null;
    for (let t = 0; t < 50_000; t += 2000) s = after429(P, s, t) ?? s;
    expect(rateAt(P, s, 50_000)).toBeGreaterThanOrEqual(1);
    expect(after429({ ...P, enabled: false }, null, 0)).toBeNull();
  });
});

describe('retry timing', () => {
  it('reads retry-after-ms before Retry-After', () => {
    const h = (o: Record<string, string>) => (name: string) => new Headers(o).get(name);
    expect(retryAfterMs(h({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(h({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after': new Date(10_000).toUTCString() }), 4000)).toBe(6000);
    expect(retryAfterMs(h({ 'retry-after-ms': '' }))).toBeUndefined();
    expect(retryAfterMs(h({}))).toBeUndefined();
  });

  it('backs off exponentially with jitter up to the maximum', () => {
    expect(backoffMs(1, 1000, 30000, () => 0)).toBe(500);
    expect(backoffMs(3, 1000, 30000, () => 1)).toBe(4000);
    expect(backoffMs(10, 1000, 30000, () => 1)).toBe(30000);
  });
});

describe('token ledger', () => {
  /** a usage row without its time and tokens */
  const row = {
    lane: 'translation' as const,
    product_id: null,
    job_id: null,
    ingest_file: null,
    model: 'm',
    cost: 0,
    status: 'ok' as const,
    latency_ms: 1,
    items: 1,
  };

  it('counts tokens of the last minute and says how long until a tokens-per-minute cap has room', () => {
    const l = new UsageLedger(null, silentLogger);
    l.add({ ...row, ts: 1000, prompt_tokens: 600, completion_tokens: 0 });
    l.add({ ...row, ts: 2000, prompt_tokens: 500, completion_tokens: 0 });
    expect(l.tokensLastMinute(3000)).toBe(1100);
    expect(l.waitForTokens(2000, 3000)).toBe(0);
    expect(l.waitForTokens(1000, 3000)).toBe(1000 + 60_000 - 3000 + 1);
    expect(l.tokensLastMinute(61_500)).toBe(500);
  });

  it('keeps only the last minute of calls even when nothing reads the count (a day of calls is not held)', () => {
    const l = new UsageLedger(null, silentLogger);
    // ten minutes at 200 calls/s, 10 tokens each
    for (let i = 0; i < 120_000; i++) l.add({ ...row, ts: i * 5, prompt_tokens: 10, completion_tokens: 0 });
    const held = (l as unknown as { minute: unknown[]; head: number }).minute.length - (l as unknown as { head: number }).head;
    expect(held).toBe(12_000);
    expect((l as unknown as { minute: unknown[] }).minute.length).toBeLessThanOrEqual(2 * 12_000 + 1024);
    // at 600,000 ms the minute holds the calls of 540,005-599,995 ms
    expect(l.tokensLastMinute(600_000)).toBe(11_999 * 10);
    // under 119,990 once the call of 540,005 ms leaves the window
    expect(l.waitForTokens(11_999 * 10, 600_000)).toBe(540_005 + 60_000 - 600_000 + 1);
  });
});
