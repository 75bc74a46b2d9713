import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { voc } from '../helpers/cli.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { connectDaemon } from '../../src/daemon/client.js';
import type { DaemonClient } from '../../src/daemon/api.js';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import type { BatchSimOptions } from '../../src/llm/simulator/batch.js';
import { createGateway } from '../../src/llm/gateway.js';
import { createTranslationService } from '../../src/translate/service.js';
import { silentLogger } from '../../src/log.js';
import { runJobsCancel } from '../../src/commands/jobs.js';
import { runTranslatePending } from '../../src/commands/translate-pending.js';
import { simTranslation } from '../../src/llm/tasks.js';
import { normaliseForPrompt } from '../../src/text.js';
import { insertJob } from '../../src/store/jobs.js';
import type { Config } from '../../src/config/schema.js';
import { review, textOf } from '../integration/translate-fixtures.js';

/** `voc jobs cancel JOB` against the simulator, with a real daemon in-process (and the CLI in a child for exit codes). */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function boot(sim: { latencyMs?: number; limit?: number; batch?: BatchSimOptions }, overrides: Record<string, unknown> = {}) {
  const s: Simulator = await startSimulator({ port: 0, seed: 7, limit: sim.limit ?? 500, latencyMs: sim.latencyMs ?? 5, batch: sim.batch });
  cleanups.push(() => s.close());
  const h = tempHome('jc');
  cleanups.push(() => h.cleanup());
  const config: Config = testConfig(h.home, {
    overrides: {
      'daemon.heartbeatMs': 200,
      'daemon.shutdownTimeoutMs': 2000,
      'beat.checkPendingTranslations': false,
      'llm.qps': sim.limit ?? 500,
      'translate.batchPollMs': 50,
      ...overrides,
    },
  });
  const d: Daemon = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: async (args) => createGateway({ ...args, baseUrl: s.url, simulated: true }),
    services: (ctx) => [createTranslationService(ctx)],
  });
  cleanups.push(() => d.close());
  const client = await connectDaemon(config, { autostart: false });
  return { d, config, sim: s, client, home: h.home };
}

const sink = () => {
  const out: string[] = [];
  return { out, write: (s: string) => out.push(s) };
};

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every review is settled with its own text or back to pending: none is left claimed, none has another's text. */
async function nothingLost(d: Daemon): Promise<{ done: number; pending: number }> {
  const rows = await d.ctx.store.knex('reviews').select('body', 'body_zh', 'tr_status', 'tr_owner');
  let done = 0;
  let pending = 0;
  for (const r of rows) {
    expect(['done', 'pending']).toContain(r.tr_status);
    if (r.tr_status === 'done') {
      done++;
      expect(r.body_zh).toBe(simTranslation(normaliseForPrompt(r.body)));
    } else {
      pending++;
      expect(r.tr_owner).toBeNull();
    }
  }
  return { done, pending };
}

async function submitBatchJob(client: DaemonClient) {
  return client.submitJob({ kind: 'translate', params: { batch: true } });
}

describe('voc jobs cancel', () => {
  it('a Batch API job: the provider batch is cancelled, the answered lines are kept, the rest goes back to pending', async () => {
    const { d, config, sim, client } = await boot({ batch: { completionMs: 3000 } });
    await client.ingest({ file: 'c.csv', rows: Array.from({ length: 400 }, (_, i) => review(textOf(i % 5 ? 45 : 130, i + 100))) });
    const job = await submitBatchJob(client);
    await until('the batch at the provider', async () => sim.stats().batch!.batches === 1);
    // part of the work done by the provider, not all of it
    await new Promise((r) => setTimeout(r, 1200));
    const stdout = sink();
    const res = await runJobsCancel(String(job.id), { wait: true, json: true }, { config, client, stdout });
    expect(res.exitCode).toBe(0);
    const view = JSON.parse(stdout.out.join(''));
    expect(view).toMatchObject({ id: job.id, status: 'cancelled', result: { cancelled: true, mode: 'batch' } });
    expect(sim.stats().batch).toMatchObject({ uploads: 1, batches: 1, cancels: 1 });
    // no realtime call: nothing was redone, the rest is handed back
    expect(sim.stats().requests).toBe(0);
    const { done, pending } = await nothingLost(d);
    expect(done).toBeGreaterThan(0);
    expect(pending).toBeGreaterThan(0);
    expect(view.result).toMatchObject({ translated: done, released: pending });
    const row = await d.ctx.store.knex('llm_batches').first();
    expect(row).toMatchObject({ state: 'done', provider_status: 'cancelled' });
    expect(!!row.cancel_requested).toBe(true);

    // the rest is anybody's: a realtime run takes it
    const rt = await runTranslatePending({ wait: true, json: true, batch: false }, { config, client, stdout: sink() });
    expect(rt.exitCode).toBe(0);
    expect(await nothingLost(d)).toEqual({ done: 400, pending: 0 });
  });

  it('a realtime job: it stops claiming, what is in flight finishes and is kept, the rest is released', async () => {
    // a small pool: the run holds a few calls' reviews at a time, as a large backlog would
    const { d, config, sim, client } = await boot({ latencyMs: 150, limit: 20 }, { 'pools.trans.cap': 4 });
    await client.ingest({ file: 'r.csv', rows: Array.from({ length: 600 }, (_, i) => review(textOf(130, i + 3000))) });
    const job = await client.submitJob({ kind: 'translate', params: { batch: false } });
    await until('some reviews translated', async () => {
      const r = await d.ctx.store.knex('reviews').where({ tr_status: 'done' }).count({ n: '*' }).first();
      return Number(r!.n) >= 20;
    });
    const stdout = sink();
    const res = await runJobsCancel(String(job.id), { wait: true }, { config, client, stdout });
    expect(res.exitCode).toBe(0);
    expect(stdout.out.join('')).toMatch(
      new RegExp(`^job ${job.id} \\(translate\\) cancelled: \\d+ translated and 0 skipped are kept; \\d+ reviews are back to pending`),
    );
    const final = await client.getJob(job.id);
    expect(final.status).toBe('cancelled');
    const { done, pending } = await nothingLost(d);
    expect(done).toBeGreaterThanOrEqual(20);
    expect(pending).toBeGreaterThan(0);
    expect(done + pending).toBe(600);
    // the calls made are the calls kept: nothing in flight was thrown away
    expect(sim.stats().requests).toBeGreaterThan(0);
  });

  it('a queued job is cancelled before it starts; unknown and finished jobs are one-line errors with exit 1', async () => {
    const { d, config, client, home } = await boot({});
    // no service of this daemon runs reports: the row stays queued
    const queued = await insertJob(d.ctx.store, { kind: 'report', lane: 'reports', params: {} });
    const out = sink();
    const res = await runJobsCancel(String(queued.id), {}, { config, client, stdout: out });
    expect(res.exitCode).toBe(0);
    expect(out.out.join('')).toBe(`job ${queued.id} (report) cancelled before it started\n`);
    expect((await client.getJob(Number(queued.id))).status).toBe('cancelled');

    // the CLI as a user runs it, talking to this daemon over its socket
    const unknown = await voc(home, ['jobs', 'cancel', '999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.split('\n')[0]).toBe('voc: no job 999');
    const again = await voc(home, ['jobs', 'cancel', String(queued.id)]);
    expect(again.code).toBe(1);
    expect(again.stderr.split('\n')[0]).toBe(`voc: job ${queued.id} (report) is already cancelled`);
    const bad = await voc(home, ['jobs', 'cancel', 'abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n')[0]).toMatch(/^voc: not a job id: "abc"/);
    // `voc jobs` lists it as cancelled
    const list = await voc(home, ['jobs']);
    expect(list.stdout).toMatch(new RegExp(`#${queued.id} report +cancelled`));
  });
});
