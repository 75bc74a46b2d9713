import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { renderFrame } from '../../src/tui/render.js';
import { idleStats } from '../../src/tui/sample.js';
import type { Stats } from '../../src/daemon/stats-types.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

function busy(): Stats {
  const s = idleStats(NOW);
  s.daemon.uptimeSec = 3725;
  s.daemon.store = 'postgresql db.internal:5432/voc';
  s.daemon.redis = 'redis://127.0.0.1:6379';
  s.gateway.throttle = 'redis';
  s.lanes.translation = {
    ...s.lanes.translation,
    queued: 1234,
    active: 87,
    done: 4321,
    failed: 3,
    retried: 17,
    ratePerMin: 612.5,
    p95Ms: 2300,
  };
  s.lanes.learning = { ...s.lanes.learning, queued: 2, active: 1, done: 5, ratePerMin: 1.5, p95Ms: 950 };
  s.pools.trans = { ...s.pools.trans, active: 87, serving: ['translation'] };
  s.pools.insight = { ...s.pools.insight, active: 3, serving: ['learning'] };
  s.gateway = { ...s.gateway, window: 24, qps: 23.6, inFlight: 41, tokensLastMinute: 123456, costToday: 1.37, requests: 9000 };
  s.gateway.waiting = { learning: 0, translation: 58, insight_extraction: 0, theme_extraction: 0 };
  s.gateway.history = Array.from({ length: 60 }, (_, i) => (i * 7) % 26);
  s.classifier = {
    ...s.classifier,
    vip: 80,
    standard: 320,
    short: 600,
    run: { vip: 8, standard: 32, short: 60, jobId: 12 },
    batches: { vip: 8, standard: 7, short: 3 },
    calls: 18,
    reviewsPerCall: 5.56,
    fallbacks: 1,
    cacheHits: 9,
    skipped: 4,
    translated: 100,
  };
  s.backlog = {
    pendingTranslations: 4567,
    pendingAnalyses: 890,
    etaSeconds: 250,
    languages: [
      { lang: 'en', reviews: 2100, skipped: 0, converted: 0, sent: 2100 },
      { lang: 'zh', reviews: 943, skipped: 941, converted: 0, sent: 2 },
      { lang: 'ja', reviews: 527, skipped: 0, converted: 0, sent: 527 },
      { lang: 'zh-Hant', reviews: 120, skipped: 0, converted: 120, sent: 0 },
      { lang: 'de', reviews: 90, skipped: 0, converted: 0, sent: 90 },
      { lang: 'es', reviews: 80, skipped: 0, converted: 0, sent: 80 },
      { lang: 'fr', reviews: 70, skipped: 0, converted: 0, sent: 70 },
      { lang: 'und', reviews: 12, skipped: 5, converted: 0, sent: 7 },
    ],
  };
  s.events = [
    { ts: NOW - 3000, text: 'classified: vip=8 | standard=32 | short=60' },
    { ts: NOW - 2000, text: 'short batch done: 20/20' },
    { ts: NOW - 1000, text: '评论 "太好了" translated \u001b[31mred\u001b[0m' },
  ];
  return s;
}

function lines(frame: string): string[] {
  return frame.split('\n');
}

function expectFits(frame: string, width: number, height: number): void {
  const ls = lines(frame);
  for (const l of ls) expect(stringWidth(l), l).toBeLessThanOrEqual(width);
  expect(ls.length).toBeLessThan(height);
}

const row = (frame: string, start: RegExp): string => lines(frame).find((l) => start.test(l)) ?? '';

describe('status frames', () => {
  it('the backlog shows the language mix: what is sent, skipped and converted, cut at the width', () => {
    const f = renderFrame(busy(), { width: 80, height: 24 });
    const l = row(f, /^\s+languages /);
    expect(l).toContain('en 2,100 · zh 943 (941 skipped) · ja 527 · zh-Hant 120 converted');
    expect(l).toMatch(/…$/);
    expectFits(f, 80, 24);
    const wide = renderFrame(busy(), { width: 160, height: 40 });
    expect(row(wide, /languages /)).toContain('languages en 2,100 · zh 943 (941 skipped) · ja 527');
    expectFits(wide, 160, 40);
    expect(renderFrame(idleStats(NOW), { width: 80, height: 24 })).toContain('languages none yet');
  });

  it('an idle daemon shows every panel, zero counts, the caps and the SIMULATED mark', () => {
    const f = renderFrame(idleStats(NOW), { width: 80, height: 24 });
    for (const title of ['Lanes', 'Pools', 'Gateway', 'Classifier', 'Backlog', 'Events']) expect(f).toContain(title);
    expect(f).toContain('SIMULATED');
    expect(row(f, /^4 translation/)).toMatch(/running\s+0\s+0\/100\s+0\s+0\s+0/);
    expect(row(f, /^1 ingestion/)).toContain('0/4');
    expect(f).toContain('window 0/25');
    expect(f).toContain('ETA idle');
    expectFits(f, 80, 24);
  });

  it('a busy daemon shows the numbers of the stats object', () => {
    const s = busy();
    const f = renderFrame(s, { width: 80, height: 24 });
    expect(row(f, /^4 translation/)).toMatch(/running\s+1,234\s+87\/100\s+4,321\s+3\s+17\s+612\.5\s+2\.3s/);
    expect(f).toContain('window 24/25 · 23.6 qps · 41 in flight');
    expect(f).toContain('waiting learn 0 trans 58 ins 0 thm 0');
    expect(f).toContain('tok/min 123.5k · today 1.37 CNY');
    expect(f).toContain('run vip 8 std 32 short 60 (job 12) · total vip 80 std 320 short 600');
    expect(f).toContain('batches vip 8 std 7 short 3 · 18 calls · 5.6 reviews/call');
    expect(f).toContain('fallbacks 1 · cache hits 9 · skipped 4');
    expect(f).toContain('4,567 translations · 890 analyses pending · ETA 4m10s');
    expect(row(f, /^trans /)).toMatch(/87\/100 translation/);
    // learning running in the insight pool is overflow, marked with +
    expect(row(f, /^insight /)).toMatch(/3\/100 \+learning/);
    expect(f).toContain('throttle redis redis://127.0.0.1:6379');
    expect(f).toContain('store postgresql db.internal:5432/voc');
    expect(f).toContain('up 1h02m');
    expectFits(f, 80, 24);
  });

  it('event texts are stripped of escape sequences and keep their CJK within the width', () => {
    const f = renderFrame(busy(), { width: 80, height: 30 });
    expect(f).not.toMatch(/\u001b/);
    expect(f).toContain('classified: vip=8 | standard=32 | short=60');
    expect(f).toContain('评论 "太好了" translated red');
  });

  it('a throttled daemon shows 429s and the adaptive rate below the cap', () => {
    const s = busy();
    s.gateway = { ...s.gateway, adaptiveRate: 17.6, rejected429: 42, rejected429Last5m: 7 };
    s.events.push({ ts: NOW, text: '429 from provider, rate lowered to 17.6/s' });
    const f = renderFrame(s, { width: 80, height: 24 });
    expect(f).toContain('429 7 (5m) 42 total · rate 17.6/25');
    expectFits(f, 80, 24);
    const healthy = renderFrame(busy(), { width: 80, height: 24 });
    expect(healthy).not.toContain('rate 25/25');
  });

  it('a Redis outage is shown as calls paused', () => {
    const s = busy();
    s.gateway.throttleHealthy = false;
    expect(renderFrame(s, { width: 80, height: 24 })).toContain('REDIS DOWN: calls paused');
  });

  it('a paused lane says PAUSED and keeps its queue', () => {
    const s = busy();
    s.lanes.insight_extraction = { ...s.lanes.insight_extraction, paused: true, queued: 77 };
    const f = renderFrame(s, { width: 80, height: 24 });
    expect(row(f, /^5 insight/)).toMatch(/PAUSED\s+77\s+0\/100/);
    expect(row(f, /^4 translation/)).toContain('running');
  });

  it('a cluster of three shows totals and a row per daemon, the stopped one as gone', () => {
    const s = busy();
    s.cluster = {
      daemons: [
        {
          id: 'd-1a2b3c',
          host: 'alpha',
          pid: 11,
          startedAt: NOW - 9e5,
          heartbeatAt: NOW - 1000,
          alive: true,
          active: 40,
          gatewayWindow: 12,
        },
        {
          id: 'd-4d5e6f',
          host: 'beta',
          pid: 22,
          startedAt: NOW - 9e5,
          heartbeatAt: NOW - 2000,
          alive: true,
          active: 47,
          gatewayWindow: 12,
        },
        {
          id: 'd-777777',
          host: 'gamma',
          pid: 33,
          startedAt: NOW - 9e5,
          heartbeatAt: NOW - 45_000,
          alive: false,
          active: 0,
          gatewayWindow: 0,
        },
      ],
      totals: { active: 87, done: 9876, failed: 5 },
    };
    for (const [w, h] of [
      [80, 30],
      [140, 40],
    ] as const) {
      const f = renderFrame(s, { width: w, height: h, now: NOW });
      expect(f).toContain('Cluster 3 daemons, 2 alive');
      expect(f).toContain('active 87 · done 9,876 · failed 5');
      expect(f).toMatch(/\*d-1a2b3c\s+alpha:11\s+alive active 40 win 12/);
      expect(f).toMatch(/ d-4d5e6f\s+beta:22\s+alive active 47 win 12/);
      expect(f).toMatch(/d-777777\s+gamma:33\s+gone\s+last beat 45s ago/);
      expectFits(f, w, h);
    }
    // at 80x24 with the line of keys the daemons are packed on one line; the events give way
    const small = renderFrame(s, { width: 80, height: 24, now: NOW, footer: true });
    expect(small).toContain('Cluster 3 daemons, 2 alive · active 87 · done 9,876 · failed 5');
    expect(small).toMatch(/\*d-1a2b3c\s+alive act 40\s+d-4d5e6f\s+alive act 47\s+d-777777\s+gone 45s/);
    expect(small).not.toContain('Events');
    expectFits(small, 80, 24);
  });

  it('a single daemon shows no cluster panel', () => {
    const s = busy();
    s.cluster = {
      daemons: [{ id: s.daemon.id, host: 'a', pid: 1, startedAt: NOW, heartbeatAt: NOW, alive: true, active: 0, gatewayWindow: 0 }],
      totals: { active: 0, done: 0, failed: 0 },
    };
    expect(renderFrame(s, { width: 80, height: 24 })).not.toContain('Cluster');
  });

  it('a larger terminal gets two columns and more events', () => {
    const s = busy();
    s.events = Array.from({ length: 40 }, (_, i) => ({ ts: NOW + i * 1000, text: `event number ${i}` }));
    const small = renderFrame(s, { width: 80, height: 24 });
    const large = renderFrame(s, { width: 160, height: 50 });
    const count = (f: string) => (f.match(/event number/g) ?? []).length;
    expect(count(large)).toBeGreaterThan(count(small));
    expect(small).toContain('event number 39');
    expect(large).toContain('event number 39');
    // two columns: the lanes and the gateway share a line
    expect(lines(large).some((l) => /translation/.test(l) && /│/.test(l))).toBe(true);
    expectFits(large, 160, 50);
    expectFits(renderFrame(s, { width: 120, height: 30 }), 120, 30);
  });

  it('long untrusted texts are cut at the width, never wrapped', () => {
    const s = busy();
    s.daemon.store = 'sqlite ' + '/very/long/path'.repeat(20);
    s.events = [
      { ts: NOW, text: '很长的评论'.repeat(40) },
      { ts: NOW, text: 'x'.repeat(300) },
    ];
    const f = renderFrame(s, { width: 80, height: 24 });
    expectFits(f, 80, 24);
    const short = busy();
    short.events = [
      { ts: NOW, text: 'a' },
      { ts: NOW, text: 'b' },
    ];
    expect(lines(f).length).toBe(lines(renderFrame(short, { width: 80, height: 24 })).length);
  });

  it('a frame without colour has no escape sequences, with colour it may', () => {
    expect(renderFrame(busy(), { width: 80, height: 24, color: false })).not.toMatch(/\u001b\[/);
  });
});
