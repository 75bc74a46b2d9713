import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { cleanEnv, repoRoot, voc, vocBin } from '../helpers/cli.js';
import { clientFor, waitForDaemon } from '../../src/daemon/client.js';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import { simTranslation } from '../../src/llm/tasks.js';
import { normaliseForPrompt } from '../../src/text.js';
import { textOf } from '../integration/translate-fixtures.js';

/** kill -9 of the daemon right after `voc jobs cancel` of a Batch API job: the restarted daemon finishes the cancel. */
describe('voc jobs cancel: kill -9 of the daemon during the cancel', () => {
  const h = tempHome('jck');
  let sim: Simulator;
  afterAll(async () => {
    await voc(h.home, ['daemon', 'stop'], { env: { VOC_LLM_BASE_URL: sim.url, VOC_LLM_API_KEY: 'sk-x' } });
    await sim.close();
    h.cleanup();
  });

  it('the cancel is finished after a restart: the answered part kept, the rest pending, no second upload', async () => {
    sim = await startSimulator({ port: 0, limit: 500, latencyMs: 5, seed: 11, batch: { completionMs: 6000 } });
    const env = cleanEnv(h.home, { VOC_LLM_BASE_URL: sim.url, VOC_LLM_API_KEY: 'sk-x' });
    writeFileSync(
      path.join(h.home, 'config.json'),
      JSON.stringify({
        beat: { checkPendingTranslations: false },
        daemon: { heartbeatMs: 200, leaseMs: 1500 },
        translate: { batchPollMs: 100 },
      }),
    );
    const rows = [
      'review_id,product_id,rating,body',
      ...Array.from({ length: 300 }, (_, i) => `${i},P${i % 7},3,"${textOf(i % 4 ? 45 : 130, i)}"`),
    ];
    const file = path.join(h.home, 'r.csv');
    writeFileSync(file, rows.join('\n'));
    expect((await voc(h.home, ['ingest', file, '--direct'], { env })).code).toBe(0);

    const socket = path.join(h.home, 'voc.sock');
    const startChild = async () => {
      const child = spawn(process.execPath, [vocBin, 'daemon', 'run'], { env, cwd: repoRoot, stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      expect(await waitForDaemon(socket, 20_000)).not.toBeNull();
      return { child, exited };
    };
    const first = await startChild();
    const submit = await voc(h.home, ['translate-pending', '--batch', '--json'], { env });
    expect(submit.code, submit.stderr).toBe(0);
    const jobId = JSON.parse(submit.stdout).job as number;
    const deadline = Date.now() + 20_000;
    while (sim.stats().batch!.batches === 0) {
      if (Date.now() > deadline) throw new Error('no batch created');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const cancel = await voc(h.home, ['jobs', 'cancel', String(jobId)], { env });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain(`job ${jobId} (translate): cancel asked`);
    first.child.kill('SIGKILL');
    await first.exited;

    await startChild();
    const client = clientFor(socket);
    const end = Date.now() + 60_000;
    let view = await client.getJob(jobId);
    while (view.status !== 'cancelled') {
      if (Date.now() > end) throw new Error(`job still ${view.status}`);
      await new Promise((r) => setTimeout(r, 200));
      view = await client.getJob(jobId);
    }
    expect(sim.stats().batch).toMatchObject({ uploads: 1, batches: 1 });
    expect(sim.stats().batch!.cancels).toBeGreaterThanOrEqual(1);
    expect(sim.stats().requests).toBe(0);

    const exported = await voc(h.home, ['export', '--all', '--format', 'ndjson'], { env });
    const got = exported.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { body: string; body_zh: string | null; translation_status: string });
    expect(got).toHaveLength(300);
    const done = got.filter((r) => r.translation_status === 'done');
    for (const r of done) expect(r.body_zh).toBe(simTranslation(normaliseForPrompt(r.body)));
    expect(got.every((r) => r.translation_status === 'done' || r.translation_status === 'pending')).toBe(true);
    expect(done.length).toBeGreaterThan(0);
    expect(view.result).toMatchObject({ cancelled: true, translated: done.length, released: 300 - done.length });

    // the rest is taken by a realtime run: every review ends with its own text
    const rest = await voc(h.home, ['translate-pending', '--no-batch', '--wait', '--json'], { env });
    expect(rest.code, rest.stderr).toBe(0);
    const all = (await voc(h.home, ['export', '--all', '--format', 'ndjson'], { env })).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { body: string; body_zh: string | null; translation_status: string });
    for (const r of all) expect(r).toMatchObject({ translation_status: 'done', body_zh: simTranslation(normaliseForPrompt(r.body)) });
    expect(sim.stats().batch).toMatchObject({ uploads: 1, batches: 1 });
  });
});
