import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { connectDaemon } from '../../src/daemon/client.js';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import type { BatchSimOptions } from '../../src/llm/simulator/batch.js';
import { createGateway } from '../../src/llm/gateway.js';
import { createAnalysisService } from '../../src/analysis/service.js';
import { createTranslationService } from '../../src/translate/service.js';
import { silentLogger } from '../../src/log.js';
import { runAnalyze } from '../../src/commands/analyze.js';
import { runJobsCancel } from '../../src/commands/jobs.js';
import type { Config } from '../../src/config/schema.js';
import type { NewReview } from '../../src/store/reviews.js';
import { review, bodyFor } from '../integration/analysis-fixtures.js';

/** `voc analyze --batch`: insights and themes through the simulator's Batch API, learning realtime, a real daemon in-process. */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function boot(batch: BatchSimOptions, o: { home?: string; sim?: Simulator } = {}) {
  const sim = o.sim ?? (await startSimulator({ port: 0, seed: 4, limit: 500, latencyMs: 5, batch: { completionMs: 300, ...batch } }));
  if (!o.sim) cleanups.push(() => sim.close());
  let home = o.home;
  if (!home) {
    const h = tempHome('ab');
    cleanups.push(() => h.cleanup());
    home = h.home;
  }
  const config: Config = testConfig(home, {
    overrides: {
      'daemon.heartbeatMs': 200,
      'daemon.shutdownTimeoutMs': 2000,
      'beat.checkPendingTranslations': false,
      'llm.qps': 500,
      'translate.batchPollMs': 50,
    },
  });
  const d: Daemon = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: async (args) => createGateway({ ...args, baseUrl: sim.url, simulated: true }),
    services: (ctx) => [createTranslationService(ctx), createAnalysisService(ctx)],
  });
  let closed = false;
  const close = async () => {
    if (!closed) await d.close();
    closed = true;
  };
  cleanups.push(close);
  const client = await connectDaemon(config, { autostart: false });
  return { d, config, sim, client, home, close };
}

const sink = () => {
  const out: string[] = [];
  return { out, write: (s: string) => out.push(s) };
};

/** Three products: short, standard and long reviews, so every class's batch size is used. */
function reviews(config: Config): NewReview[] {
  const kinds = ['short', 'standard', 'long'] as const;
  return ['PA', 'PB', 'PC'].flatMap((p, k) =>
    Array.from({ length: 30 }, (_, i) => review(config, p, k * 100 + i, bodyFor(k * 100 + i, kinds[(i + k) % 3]), (i % 5) + 1)),
  );
}

/** What analysis stored, by review text: the same prompts and checks give the same rows, whichever way they went. */
async function analysed(d: Daemon) {
  const k = d.ctx.store.knex;
  const ins = await k('insights')
    .join('reviews', 'reviews.id', 'insights.review_id')
    .select('reviews.body', 'insights.type', 'insights.dimension', 'insights.sentiment', 'insights.quote');
  const thm = await k('themes').join('reviews', 'reviews.id', 'themes.review_id').select('reviews.body', 'themes.w', 'themes.tag');
  const key = (r: Record<string, unknown>) => JSON.stringify(Object.values(r));
  return { insights: ins.map(key).sort(), themes: thm.map(key).sort() };
}

async function statuses(d: Daemon) {
  return d.ctx.store.knex('reviews').select('ins_status', 'thm_status', 'ins_owner', 'thm_owner');
}

describe('voc analyze --batch (Batch API)', () => {
  it('learning realtime, insights and themes in two batch files, the same results as realtime, cost at the batch price', async () => {
    const batch = await boot({});
    await batch.client.ingest({ file: 'a.csv', rows: reviews(batch.config) });
    const stdout = sink();
    const res = await runAnalyze(
      { all: true, wait: true, json: true, batch: true },
      { config: batch.config, client: batch.client, stdout },
    );
    expect(res.exitCode).toBe(0);
    const summary = JSON.parse(stdout.out.join(''));
    const b = batch.sim.stats().batch!;
    // learning is the only realtime work: one call per product
    expect(batch.sim.stats().byTask).toEqual({ learn: 3 });
    expect(summary).toMatchObject({ reviews: 90, failed: 0, calls: 3, batchRequests: b.lines });
    expect(b).toMatchObject({ uploads: 2, batches: 2 });
    expect(b.byTask.insights).toBeGreaterThan(0);
    expect(b.byTask.themes).toBeGreaterThan(0);
    for (const r of await statuses(batch.d))
      expect(r).toMatchObject({ ins_status: 'done', thm_status: 'done', ins_owner: null, thm_owner: null });
    const usage = await batch.d.ctx.store
      .knex('llm_usage')
      .where({ batch: true })
      .select('lane', 'product_id', 'cost', 'prompt_tokens', 'completion_tokens');
    expect(new Set(usage.map((u) => u.lane))).toEqual(new Set(['insight_extraction', 'theme_extraction']));
    expect(usage.every((u) => ['PA', 'PB', 'PC'].includes(u.product_id))).toBe(true);
    const p = batch.config.llm.prices['qwen-flash'];
    const full = usage.reduce((s, u) => s + (u.prompt_tokens * p.input + u.completion_tokens * p.output) / 1e6, 0);
    expect(summary.batchCost).toBeCloseTo(full / 2, 6);

    // the same data analysed in realtime: the same insights and themes, review for review
    const rt = await boot({});
    await rt.client.ingest({ file: 'a.csv', rows: reviews(rt.config) });
    const rtRes = await runAnalyze({ all: true, wait: true, json: true }, { config: rt.config, client: rt.client, stdout: sink() });
    expect(rtRes.exitCode).toBe(0);
    const [x, y] = [await analysed(batch.d), await analysed(rt.d)];
    expect(x.insights.length).toBeGreaterThan(0);
    expect(x).toEqual(y);
  });

  it('10% malformed and 5% failed lines are redone in realtime; everything is analysed once', async () => {
    const { d, config, sim, client } = await boot({ malformedRate: 0.1, failRate: 0.05 });
    await client.ingest({ file: 'a.csv', rows: reviews(config) });
    const stdout = sink();
    const res = await runAnalyze({ all: true, wait: true, json: true, batch: true }, { config, client, stdout });
    expect(res.exitCode).toBe(0);
    const b = sim.stats().batch!;
    expect(b.malformedLines + b.failedLines).toBeGreaterThan(0);
    for (const r of await statuses(d)) expect(r).toMatchObject({ ins_status: 'done', thm_status: 'done' });
    const redone = Number((await d.ctx.store.knex('llm_batch_lines').where({ status: 'redo' }).count({ n: '*' }).first())!.n);
    expect(redone).toBe(b.malformedLines + b.failedLines);
    const rtAnalysis = (sim.stats().byTask.insights ?? 0) + (sim.stats().byTask.themes ?? 0);
    // halves of each redone line (one call when a line had a single review)
    expect(rtAnalysis).toBeGreaterThan(0);
    expect(rtAnalysis).toBeLessThanOrEqual(redone * 2);
    expect(b.uploads).toBe(2);
    // every review's rows were written once: one write per review (one timestamp), no theme twice
    const k = d.ctx.store.knex;
    const insightWrites = await k('insights').groupBy('review_id').havingRaw('count(distinct created_at) > 1').select('review_id');
    expect(insightWrites).toEqual([]);
    const themeTwice = await k('themes').groupBy('review_id', 'w', 'tag').havingRaw('count(*) > 1').select('review_id');
    expect(themeTwice).toEqual([]);
    expect(Number((await k('insights').count({ n: '*' }).first())!.n)).toBeGreaterThan(0);
  });

  it('a daemon stopped while its batches are with the provider: the next one resumes them, no second upload', async () => {
    const first = await boot({ completionMs: 2500 });
    await first.client.ingest({ file: 'a.csv', rows: reviews(first.config) });
    const job = await first.client.submitJob({ kind: 'analyze', params: { all: true, batch: true } });
    for (let i = 0; i < 400 && first.sim.stats().batch!.batches < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(first.sim.stats().batch!.batches).toBe(2);
    await first.close();
    const again = await boot({}, { home: first.home, sim: first.sim });
    const final = await again.client.followJob(job.id, () => {});
    expect(final.status).toBe('done');
    expect(again.sim.stats().batch).toMatchObject({ uploads: 2, batches: 2 });
    for (const r of await statuses(again.d)) expect(r).toMatchObject({ ins_status: 'done', thm_status: 'done' });
  });

  it('cancelled: the provider batches are cancelled, the answered part is kept, the rest goes back to pending', async () => {
    const { d, config, sim, client } = await boot({ completionMs: 3000 });
    await client.ingest({ file: 'a.csv', rows: reviews(config) });
    const job = await client.submitJob({ kind: 'analyze', params: { all: true, batch: true } });
    for (let i = 0; i < 400 && sim.stats().batch!.batches < 2; i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 1200));
    const stdout = sink();
    const res = await runJobsCancel(String(job.id), { wait: true }, { config, client, stdout });
    expect(res.exitCode).toBe(0);
    expect(stdout.out.join('')).toMatch(new RegExp(`^job ${job.id} \\(analyze\\) cancelled: \\d+ reviews analysed are kept`));
    expect(sim.stats().batch!.cancels).toBe(2);
    expect(sim.stats().byTask).toEqual({ learn: 3 });
    const rows = await statuses(d);
    for (const r of rows) {
      expect(['done', 'pending']).toContain(r.ins_status);
      expect(['done', 'pending']).toContain(r.thm_status);
      expect(r.ins_owner).toBeNull();
      expect(r.thm_owner).toBeNull();
    }
    expect(rows.some((r) => r.ins_status === 'done')).toBe(true);
    expect(rows.some((r) => r.ins_status === 'pending')).toBe(true);
  });
});
