import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { connectDaemon } from '../../src/daemon/client.js';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import type { BatchSimOptions } from '../../src/llm/simulator/batch.js';
import { createGateway } from '../../src/llm/gateway.js';
import { createTranslationService } from '../../src/translate/service.js';
import { silentLogger } from '../../src/log.js';
import { runTranslatePending } from '../../src/commands/translate-pending.js';
import { simTranslation } from '../../src/llm/tasks.js';
import { normaliseForPrompt, sha256 as sha } from '../../src/text.js';
import type { Config } from '../../src/config/schema.js';
import { review, seedExample, textOf } from '../integration/translate-fixtures.js';
import { DATABASES, type DbKind } from '../helpers/databases.js';
import { pgTestUrl } from '../helpers/services.js';
import { PHRASES } from '../helpers/multilingual.js';
import { PlanWriter } from '../../src/batch/writer.js';
import { translationHandler } from '../../src/translate/batch/handler.js';
import { newTally } from '../../src/translate/call.js';
import { claimReviews } from '../../src/store/claims.js';

/** Translation through the provider's Batch API, against the simulator's, with a real daemon in-process. */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function boot(batch: BatchSimOptions, overrides: Record<string, unknown> = {}, kind: DbKind = 'sqlite') {
  const sim: Simulator = await startSimulator({ port: 0, seed: 5, limit: 500, latencyMs: 5, batch: { completionMs: 300, ...batch } });
  cleanups.push(() => sim.close());
  const h = tempHome('tb');
  cleanups.push(() => h.cleanup());
  const pgu = kind === 'pg' ? pgTestUrl('tb') : null;
  if (pgu) cleanups.push(() => pgu.drop());
  const config: Config = testConfig(h.home, {
    databaseUrl: pgu?.url ?? null,
    overrides: {
      'daemon.heartbeatMs': 200,
      'daemon.shutdownTimeoutMs': 2000,
      'beat.checkPendingTranslations': false,
      'llm.qps': 500,
      'translate.batchPollMs': 50,
      ...overrides,
    },
  });
  const d: Daemon = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: async (args) => createGateway({ ...args, baseUrl: sim.url, simulated: true }),
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

async function expectOwnTranslations(d: Daemon, n: number) {
  const rows = await d.ctx.store.knex('reviews').select('body', 'body_zh', 'tr_status');
  expect(rows).toHaveLength(n);
  for (const r of rows) expect(r).toMatchObject({ tr_status: 'done', body_zh: simTranslation(normaliseForPrompt(r.body)) });
}

describe('translate-pending --batch (Batch API)', () => {
  it.each(DATABASES)(
    "the seed's 100 reviews on %s: one upload, the same 19 requests as realtime, no realtime call, cost at the batch price",
    async (kind) => {
      const { d, config, sim, client } = await boot({}, {}, kind);
      await client.ingest({ file: 'seed.csv', rows: seedExample() });
      const stdout = sink();
      const res = await runTranslatePending({ wait: true, json: true, batch: true }, { config, client, stdout });
      expect(res.exitCode).toBe(0);
      const summary = JSON.parse(stdout.out.join(''));
      expect(summary).toMatchObject({
        translated: 100,
        failed: 0,
        calls: 0,
        batchRequests: 19,
        mode: 'batch',
        classes: { vip: 10, standard: 30, short: 60 },
      });
      expect(sim.stats().batch).toMatchObject({ uploads: 1, batches: 1, lines: 19, byTask: { translate_batch: 9, translate_single: 10 } });
      expect(sim.stats().requests).toBe(0);
      await expectOwnTranslations(d, 100);
      // every request billed at half the realtime price
      const usage = await d.ctx.store.knex('llm_usage').where({ batch: true }).select('prompt_tokens', 'completion_tokens', 'cost');
      const p = config.llm.prices['qwen-flash'];
      const full = usage.reduce((s, u) => s + (u.prompt_tokens * p.input + u.completion_tokens * p.output) / 1e6, 0);
      expect(summary.cost).toBeCloseTo(full / 2, 6);
      const row = await d.ctx.store.knex('llm_batches').first();
      expect(row).toMatchObject({ state: 'done', provider_status: 'completed', requests: 19 });
    },
  );

  /** 600 reviews of every class through --batch with 10% malformed, 5% failed and rogue lines: each has its own text */
  async function badLinesRun(overrides: Record<string, unknown> = {}) {
    const { d, config, sim, client } = await boot({ malformedRate: 0.1, failRate: 0.05, rogueLines: true }, overrides);
    const rows = Array.from({ length: 600 }, (_, i) => review(textOf(i % 7 === 0 ? 260 : i % 3 === 0 ? 120 : 40, i + 500), { rating: 3 }));
    await client.ingest({ file: 'f.csv', rows });
    const stdout = sink();
    const res = await runTranslatePending({ wait: true, json: true, batch: true }, { config, client, stdout });
    expect(res.exitCode).toBe(0);
    const summary = JSON.parse(stdout.out.join(''));
    const b = sim.stats().batch!;
    expect(b.malformedLines + b.failedLines).toBeGreaterThan(0);
    expect(summary).toMatchObject({ translated: 600, failed: 0 });
    await expectOwnTranslations(d, 600);
    return { d, sim, summary, b };
  }

  it('10% malformed and 5% failed lines, rogue custom_ids, defaults: redone in follow-up batches, realtime calls under 5% of the seed formula', async () => {
    const { d, sim, summary, b } = await badLinesRun();
    expect(summary.mode).toBe('batch');
    // the first file holds what the seed formula makes in realtime; the bad lines went to follow-up files
    const first = await d.ctx.store.knex('llm_batches').orderBy('id').first('requests');
    expect(b.uploads).toBeGreaterThan(1);
    expect(summary.calls).toBe(sim.stats().requests);
    expect(summary.calls).toBeLessThanOrEqual(0.05 * Number(first!.requests));
    expect(summary.batchRequests).toBeGreaterThan(Number(first!.requests));
  });

  it('10% malformed and 5% failed lines, rogue custom_ids, batchRedo realtime: all translated with their own text, only those lines redone in realtime', async () => {
    const { d, sim, b } = await badLinesRun({ 'translate.batchRedo': 'realtime' });
    // realtime only for the redone lines: halves of each, plus the splits the realtime path makes itself
    const redone = await d.ctx.store.knex('llm_batch_lines').where({ status: 'redo' }).count({ n: '*' }).first();
    expect(Number(redone!.n)).toBeGreaterThanOrEqual(b.malformedLines + b.failedLines);
    expect(sim.stats().requests).toBeGreaterThan(0);
    expect(sim.stats().requests).toBeLessThanOrEqual(Number(redone!.n) * 2 + 4);
    expect(b.uploads).toBe(1);
  });

  it('a rejected file (HTTP 400): the reviews are redone in realtime, not in a follow-up file, none lost', async () => {
    const { d, config, client } = await boot({ rejectUploads: true });
    await client.ingest({ file: 's.csv', rows: seedExample() });
    const stdout = sink();
    const res = await runTranslatePending({ wait: true, json: true, batch: true }, { config, client, stdout });
    expect(res.exitCode).toBe(0);
    expect(JSON.parse(stdout.out.join(''))).toMatchObject({ translated: 100, failed: 0 });
    await expectOwnTranslations(d, 100);
    expect(await d.ctx.store.knex('llm_batches').first()).toMatchObject({
      provider_status: 'rejected',
      error: expect.stringMatching(/rejected the file: .*400/),
    });
    expect(await d.ctx.store.knex('llm_batches').count({ n: '*' }).first()).toMatchObject({ n: 1 });
  });

  it('an expired batch keeps its finished part and redoes the rest; files split at the request limit', async () => {
    // 120 short reviews make 6 requests of 20: a file of at most 4 requests takes two files
    const { d, config, sim, client } = await boot({ expireAfterShare: 0.5 }, { 'translate.batchMaxRequests': 4 });
    await client.ingest({ file: 'e.csv', rows: Array.from({ length: 120 }, (_, i) => review(textOf(45, i + 9000))) });
    const stdout = sink();
    const res = await runTranslatePending({ wait: true, json: true, batch: true }, { config, client, stdout });
    expect(res.exitCode).toBe(0);
    await expectOwnTranslations(d, 120);
    const batches = await d.ctx.store.knex('llm_batches').select('requests', 'provider_status');
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(Number(b.requests)).toBeLessThanOrEqual(4);
    expect(batches.every((b) => b.provider_status === 'expired')).toBe(true);
    expect(sim.stats().batch!.uploads).toBe(batches.length);
  });

  it('a realtime run meanwhile neither takes nor waits for reviews held by a batch', async () => {
    const { d, config, sim, client } = await boot({ completionMs: 1500 });
    await client.ingest({ file: 'a.csv', rows: Array.from({ length: 50 }, (_, i) => review(textOf(45, i + 100))) });
    const batchRun = runTranslatePending({ wait: true, json: true, batch: true }, { config, client, stdout: sink() });
    for (let i = 0; i < 100 && !(await d.ctx.store.knex('llm_batches').first()); i++) await new Promise((r) => setTimeout(r, 20));
    // voc status shows the batch in flight with the provider's status and counts
    let shown = null;
    for (let i = 0; i < 100 && !shown; i++) {
      shown = (await client.stats()).backlog.batches?.inFlight[0] ?? null;
      if (!shown) await new Promise((r) => setTimeout(r, 50));
    }
    expect(shown).toMatchObject({ requests: expect.any(Number), status: expect.any(String) });
    await client.ingest({ file: 'b.csv', rows: Array.from({ length: 5 }, (_, i) => review(textOf(45, i + 700))) });
    const out = sink();
    const rt = await runTranslatePending({ wait: true, json: true, batch: false }, { config, client, stdout: out });
    expect(JSON.parse(out.out.join(''))).toMatchObject({ translated: 5 });
    expect(sim.stats().requests).toBe(1); // the 5 new ones, one short batch
    expect((await batchRun).exitCode).toBe(0);
    await expectOwnTranslations(d, 55);
    expect(rt.exitCode).toBe(0);
  });
  it('a line names the source language, as a realtime call does, when every text of it is surely in that language', async () => {
    const { d, config, sim, client } = await boot({});
    const langs = ['ja', 'ko', 'de'];
    // 40 texts of each language: two full calls each, packed side by side as a realtime run packs them
    const rows = langs.flatMap((l) =>
      Array.from({ length: 40 }, (_, i) => review(`${PHRASES[l][i % PHRASES[l].length]} ${i}`, { rating: 4 })),
    );
    await client.ingest({ file: 'l.csv', rows });
    const res = await runTranslatePending({ wait: true, json: true, batch: true }, { config, client, stdout: sink() });
    expect(res.exitCode).toBe(0);
    await expectOwnTranslations(d, 120);
    const row = await d.ctx.store.knex('llm_batches').first();
    const file = await (await fetch(`${sim.url}/files/${row.file_id}/content`)).text();
    const named: Record<string, number> = {};
    for (const raw of file.trim().split('\n')) {
      const body = JSON.parse(raw).body as { messages: Array<{ content: string }> };
      const system = body.messages[0].content;
      const texts = Object.values(JSON.parse(body.messages[1].content) as Record<string, string>);
      const lang = langs.find((l) => texts.every((t) => PHRASES[l].some((p) => t.startsWith(p))));
      const sentence = /原文是(\S+?)。/.exec(system)?.[1] ?? null;
      // a line of one language names it; a line that mixes them names none
      if (!lang) expect(sentence).toBeNull();
      else if (sentence) {
        expect(sentence).toBe({ ja: '日文', ko: '韩文', de: '德文' }[lang]);
        named[lang] = (named[lang] ?? 0) + 1;
      }
    }
    expect(named.ja).toBeGreaterThan(0);
    expect(named.ko).toBeGreaterThan(0);
  });

  it('files are cut at the byte limit; each file is exactly as large as its row says (the lines are built the same way twice)', async () => {
    const { d, config, sim, client } = await boot({}, { 'translate.batchMaxBytes': 10_000 });
    await client.ingest({ file: 'b.csv', rows: Array.from({ length: 150 }, (_, i) => review(textOf(130, i + 4000))) });
    const res = await runTranslatePending({ wait: true, json: true, batch: true }, { config, client, stdout: sink() });
    expect(res.exitCode).toBe(0);
    await expectOwnTranslations(d, 150);
    const batches = await d.ctx.store.knex('llm_batches').select('file_id', 'bytes', 'requests');
    expect(batches.length).toBeGreaterThan(2);
    const files = (await (await fetch(`${sim.url}/files`)).json()) as { data: Array<{ id: string; bytes: number; purpose: string }> };
    for (const b of batches) {
      const f = files.data.find((x) => x.id === b.file_id)!;
      expect(f.bytes).toBeLessThanOrEqual(10_000);
      expect(f.bytes).toBe(Number(b.bytes));
    }
    expect(sim.stats().batch!.uploads).toBe(batches.length);
  });

  it('a row its planner left half-filled (it died between two windows) is sent as it is: nothing claimed twice, nothing lost', async () => {
    const { d, config, sim, client } = await boot({});
    await client.ingest({ file: 'p.csv', rows: Array.from({ length: 60 }, (_, i) => review(textOf(45, i + 6000))) });
    // a planner that wrote one window of 20 reviews, then vanished without closing its row
    const ctx = d.ctx;
    const claimed = await claimReviews(ctx.store, 'tr', { owner: ctx.daemonId, leaseMs: 60_000, limit: 20, jobId: null });
    const writer = new PlanWriter(ctx, ctx.gateway.batch!, translationHandler(ctx, newTally()), { jobId: null, kind: 'translate' });
    const lines = [{ cls: 'short', texts: JSON.stringify(claimed.map((r) => ({ hash: sha(r.body), norm: normaliseForPrompt(r.body) }))) }];
    await writer.add(
      claimed.map((r) => r.id),
      lines,
    );
    const orphan = await ctx.store.knex('llm_batches').first();
    expect(orphan).toMatchObject({ state: 'planning', requests: 1 });
    const res = await runTranslatePending({ wait: true, json: true, batch: true }, { config, client, stdout: sink() });
    expect(res.exitCode).toBe(0);
    await expectOwnTranslations(d, 60);
    expect(await ctx.store.knex('llm_batches').where({ id: orphan.id }).first()).toMatchObject({
      state: 'done',
      provider_status: 'completed',
    });
    // 20 reviews in the orphan's one line, the other 40 in the job's own file
    expect(sim.stats().batch).toMatchObject({ uploads: 2, batches: 2 });
    expect(sim.stats().requests).toBe(0);
  });
});
