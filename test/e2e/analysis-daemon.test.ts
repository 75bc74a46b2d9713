import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { connectDaemon } from '../../src/daemon/client.js';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import { createGateway } from '../../src/llm/gateway.js';
import { createAnalysisService } from '../../src/analysis/service.js';
import { createTranslationService } from '../../src/translate/service.js';
import { silentLogger } from '../../src/log.js';
import { runLearn } from '../../src/commands/learn.js';
import { runAnalyze } from '../../src/commands/analyze.js';
import { learnState } from '../../src/store/labels.js';
import type { Config } from '../../src/config/schema.js';
import { review, bodyFor } from '../integration/analysis-fixtures.js';

/** A real daemon in-process: real lanes, job manager and gateway, answering through the simulator. */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function boot(
  simOpts: Parameters<typeof startSimulator>[0],
  overrides: Record<string, unknown>,
): Promise<{ d: Daemon; config: Config; sim: Simulator }> {
  const sim = await startSimulator({ port: 0, seed: 3, ...simOpts });
  cleanups.push(() => sim.close());
  const h = tempHome('an');
  cleanups.push(() => h.cleanup());
  const config = testConfig(h.home, {
    overrides: { 'daemon.heartbeatMs': 200, 'daemon.shutdownTimeoutMs': 2000, 'beat.checkPendingTranslations': false, ...overrides },
  });
  const d = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: (args) => createGateway({ ...args, baseUrl: sim.url, simulated: true }),
    services: (ctx) => [createTranslationService(ctx), createAnalysisService(ctx)],
  });
  cleanups.push(() => d.close());
  return { d, config, sim };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  deadlineMs = 20000,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const quiet = { write: () => true };

describe('analysis through the daemon', () => {
  it('with analysis.autoLearn on, a product seen for the first time is learned automatically once it has enough reviews', async () => {
    const { d, config, sim } = await boot({ limit: 100, latencyMs: 10 }, { 'analysis.learnMinReviews': 5, 'analysis.autoLearn': true });
    const client = await connectDaemon(config, { autostart: false });
    await client.ingest({ file: 'a.csv', rows: [1, 2, 3].map((i) => review(config, 'NEW1', i, bodyFor(i))) });
    // 3 reviews: not yet
    expect((await learnState(d.ctx.store, 'NEW1'))!.status).toBe('none');
    await client.ingest({ file: 'b.csv', rows: [4, 5, 6].map((i) => review(config, 'NEW1', i, bodyFor(i))) });
    await until('NEW1 learned', async () => (await learnState(d.ctx.store, 'NEW1'))?.status === 'done');
    const jobs = await d.ctx.store.knex('jobs').where({ kind: 'learn', product_id: 'NEW1' });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ source: 'auto', lane: 'learning' });
    await until('job done', async () => (await d.ctx.store.knex('jobs').where({ id: jobs[0].id }).first())?.status === 'done');
    expect(sim.stats().byTask.learn).toBe(1);
    expect(d.ctx.counters.analysis.learned).toBe(1);
  });

  it('voc learn while 2,000 translation calls are queued: the learning request goes ahead of the translations waiting', async () => {
    const { d, config, sim } = await boot({ limit: 25, latencyMs: 200 }, { 'analysis.autoLearn': false, 'translate.chunkSize': 2000 });
    const client = await connectDaemon(config, { autostart: false });
    const long = (i: number) => `${bodyFor(i, 'long')} Translation load number ${i}.`;
    const rows = Array.from({ length: 2000 }, (_, i) => review(config, 'BULK', i, long(i), 3));
    expect(rows.every((r) => r.class === 'vip')).toBe(true);
    for (let i = 0; i < rows.length; i += 500) await client.ingest({ file: 'bulk.csv', rows: rows.slice(i, i + 500) });
    await client.ingest({
      file: 'small.csv',
      rows: Array.from({ length: 8 }, (_, i) => review(config, 'FAST', i, bodyFor(i), (i % 5) + 1)),
    });
    await client.submitJob({ kind: 'translate', productId: 'BULK' });
    // the translation lane is saturated: the gateway window is full and calls wait behind it
    await until(
      'translation saturated',
      () =>
        d.ctx.gateway.stats().waiting.translation + d.ctx.lanes.queued('translation') >= 100 && sim.stats().byTask.translate_single >= 25,
    );
    const t0 = Date.now();
    await runLearn({ product: 'FAST' }, { config, client, stdout: quiet });
    const first = await until(
      'a learning request at the simulator',
      () => sim.arrivals().find((a) => a.task === 'learn' && a.at >= t0),
      5000,
    );
    // at least 100 translation calls were waiting: first in, first out would send them all first. With learning
    // first at the gateway only the permits already granted go ahead (about one window), whatever the machine's speed
    const ahead = sim.arrivals().filter((a) => a.task !== 'learn' && a.at >= t0 && a.at < first.at).length;
    expect(ahead).toBeLessThan(50);
    await until('FAST learned', async () => (await learnState(d.ctx.store, 'FAST'))?.status === 'done', 10000);
  });

  it('voc analyze --wait --json learns, then analyses every review and prints the summary', async () => {
    const { config, sim } = await boot({ limit: 200, latencyMs: 5 }, { 'analysis.autoLearn': false });
    const client = await connectDaemon(config, { autostart: false });
    await client.ingest({
      file: 'p.csv',
      rows: Array.from({ length: 40 }, (_, i) => review(config, 'P9', i, bodyFor(i, i % 3 === 0 ? 'short' : 'standard'), (i % 5) + 1)),
    });
    let printed = '';
    const res = await runAnalyze(
      { product: 'P9', wait: true, json: true },
      { config, client, stdout: { write: (s: string) => (printed += s) } },
    );
    expect(res.exitCode).toBe(0);
    const summary = JSON.parse(printed);
    expect(summary).toMatchObject({ reviews: 40, failed: 0, simulated: true });
    for (const k of ['insights', 'themes', 'unmapped', 'droppedQuotes', 'calls', 'promptTokens', 'completionTokens', 'cost'])
      expect(typeof summary[k]).toBe('number');
    expect(summary.insights).toBeGreaterThan(40);
    expect(summary.calls).toBeLessThan(40);
    expect(sim.stats().byTask.learn).toBe(1);
  });
});
