import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { connectDaemon } from '../../src/daemon/client.js';
import { startSimulator } from '../../src/llm/simulator/index.js';
import { createGateway } from '../../src/llm/gateway.js';
import { createTranslationService } from '../../src/translate/service.js';
import { silentLogger } from '../../src/log.js';
import { runTranslatePending } from '../../src/commands/translate-pending.js';
import { simTranslation } from '../../src/llm/tasks.js';
import { normaliseForPrompt } from '../../src/text.js';
import type { Config } from '../../src/config/schema.js';
import type { Gateway } from '../../src/llm/types.js';
import { review, seedExample, textOf } from '../integration/translate-fixtures.js';

/** A real daemon in-process: real lanes, job manager and gateway, answering through the simulator. */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function boot(
  simOpts: Parameters<typeof startSimulator>[0],
  overrides: Record<string, unknown> = {},
  wrap: (g: Gateway) => Gateway = (g) => g,
) {
  const sim = await startSimulator({ port: 0, seed: 5, limit: 200, latencyMs: 10, ...simOpts });
  cleanups.push(() => sim.close());
  const h = tempHome('tr');
  cleanups.push(() => h.cleanup());
  const config: Config = testConfig(h.home, {
    overrides: {
      'daemon.heartbeatMs': 200,
      'daemon.shutdownTimeoutMs': 2000,
      'beat.checkPendingTranslations': false,
      'analysis.autoLearn': false,
      'llm.qps': 200,
      ...overrides,
    },
  });
  const d: Daemon = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: async (args) => wrap(await createGateway({ ...args, baseUrl: sim.url, simulated: true })),
    services: (ctx) => [createTranslationService(ctx)],
  });
  cleanups.push(() => d.close());
  const client = await connectDaemon(config, { autostart: false });
  return { d, config, sim, client };
}

const sink = () => {
  const out: string[] = [];
  return { out, write: (s: string) => out.push(s) };
};

describe('voc translate-pending through the daemon', () => {
  it("--wait --json: the seed's 100 reviews take 19 calls, exit 0, every review has its own translation", async () => {
    const { d, config, sim, client } = await boot({});
    await client.ingest({ file: 'seed.csv', rows: seedExample() });
    const stdout = sink();
    const res = await runTranslatePending({ wait: true, json: true }, { config, client, stdout });
    expect(res.exitCode).toBe(0);
    const summary = JSON.parse(stdout.out.join(''));
    expect(summary).toMatchObject({ translated: 100, failed: 0, calls: 19, classes: { vip: 10, standard: 30, short: 60 } });
    expect(sim.stats().byTask).toEqual({ translate_batch: 9, translate_single: 10 });
    const rows = await d.ctx.store.knex('reviews').select('body', 'body_zh', 'tr_status');
    for (const r of rows) expect(r).toMatchObject({ tr_status: 'done', body_zh: simTranslation(normaliseForPrompt(r.body)) });
    const stats = await client.stats();
    expect(stats.classifier).toMatchObject({ vip: 10, standard: 30, short: 60, calls: 19 });
  });

  it('exits 1 and counts the failures when some reviews cannot be translated', async () => {
    const poison = (g: Gateway): Gateway => ({
      ...g,
      complete: async (req) => {
        if (req.messages.some((m) => m.role === 'user' && m.content.includes('POISON'))) throw new Error('provider refused the text');
        return g.complete(req);
      },
    });
    const { config, client } = await boot({}, {}, poison);
    await client.ingest({
      file: 'p.csv',
      rows: [review(`POISON ${textOf(260, 1)}`, { rating: 1 }), review('fine text here'), review('another fine one')],
    });
    const stdout = sink();
    const res = await runTranslatePending({ wait: true, json: true }, { config, client, stdout });
    expect(res.exitCode).toBe(1);
    expect(JSON.parse(stdout.out.join(''))).toMatchObject({ translated: 2, failed: 1 });
  });

  it('two overlapping runs are one job: the second attaches to the first and both report the whole backlog', async () => {
    const { d, config, sim, client } = await boot({ latencyMs: 30 }, { 'translate.chunkSize': 40 });
    const rows = Array.from({ length: 400 }, (_, i) => review(textOf(i % 5 === 0 ? 130 : 45, i + 1000)));
    await client.ingest({ file: 'x.csv', rows });
    const a = sink();
    const b = sink();
    const [ra, rb] = await Promise.all([
      runTranslatePending({ wait: true, json: true }, { config, client, stdout: a }),
      runTranslatePending({ wait: true, json: true }, { config, client, stdout: b }),
    ]);
    expect([ra.exitCode, rb.exitCode]).toEqual([0, 0]);
    const sa = JSON.parse(a.out.join(''));
    const sb = JSON.parse(b.out.join(''));
    expect(sb.job).toBe(sa.job);
    expect([sa.attached, sb.attached].sort()).toEqual([false, true]);
    expect(sa).toMatchObject({ reviews: 400, translated: 400 });
    expect(sb).toMatchObject({ reviews: 400, translated: 400, calls: sa.calls });
    expect(sa.calls).toBe(sim.stats().accepted);
    expect(await d.ctx.store.knex('jobs').where({ kind: 'translate' }).count({ n: '*' }).first()).toMatchObject({ n: 1 });
    const stored = await d.ctx.store.knex('reviews').select('body', 'body_zh', 'tr_status');
    for (const r of stored) expect(r).toMatchObject({ tr_status: 'done', body_zh: simTranslation(normaliseForPrompt(r.body)) });
  });

  it("attaches to the beat's open job and says so; a job of one product does not cover every product", async () => {
    const { config, client } = await boot({ latencyMs: 30 });
    const rows = Array.from({ length: 120 }, (_, i) => review(textOf(45, i + 2000)));
    await client.ingest({ file: 'x.csv', rows });
    const beat = await client.submitJob({ kind: 'translate', params: {} });
    const out = sink();
    const res = await runTranslatePending({ wait: true }, { config, client, stdout: out, interactive: false });
    expect(res.job.id).toBe(beat.id);
    expect(out.out[0]).toMatch(new RegExp(`^translate job ${beat.id} \\(every product\\) is already (queued|running); attached to it`));
    expect(out.out.join('')).toMatch(/translated 120 /);
    // a narrower open job is not the whole backlog: a request for every product starts its own
    const narrow = await client.submitJob({ kind: 'translate', productId: 'P-none', params: {} });
    const wide = await runTranslatePending({ json: true }, { config, client, stdout: sink() });
    expect(wide.job.id).not.toBe(narrow.id);
    expect(wide.job.attached).toBeFalsy();
  });
});
