import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { cleanEnv, repoRoot, voc, vocBin } from '../helpers/cli.js';
import { waitForDaemon } from '../../src/daemon/client.js';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import { simTranslation } from '../../src/llm/tasks.js';
import { normaliseForPrompt } from '../../src/text.js';
import { textOf } from '../integration/translate-fixtures.js';

/** kill -9 of the daemon while its batch is with the provider, then a restart: no second upload, nothing lost. */
describe('Batch API: kill -9 of the daemon mid-batch', () => {
  const h = tempHome('tbk');
  let sim: Simulator;
  afterAll(async () => {
    await voc(h.home, ['daemon', 'stop'], { env: { VOC_LLM_BASE_URL: sim.url, VOC_LLM_API_KEY: 'sk-x' } });
    await sim.close();
    h.cleanup();
  });

  it('the restarted daemon resumes polling the same batch and settles every review with its own text', async () => {
    sim = await startSimulator({ port: 0, limit: 500, latencyMs: 5, seed: 9, batch: { completionMs: 4000 } });
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

    const startChild = async () => {
      const child = spawn(process.execPath, [vocBin, 'daemon', 'run'], { env, cwd: repoRoot, stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      expect(await waitForDaemon(path.join(h.home, 'voc.sock'), 20_000)).not.toBeNull();
      return { child, exited };
    };
    const first = await startChild();
    const submit = await voc(h.home, ['translate-pending', '--batch', '--json'], { env });
    expect(submit.code, submit.stderr).toBe(0);
    // wait until the provider has the batch, then kill the daemon hard
    const deadline = Date.now() + 20_000;
    while (sim.stats().batch!.batches === 0) {
      if (Date.now() > deadline) throw new Error('no batch created');
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    expect(sim.stats().batch).toMatchObject({ uploads: 1, batches: 1 });

    await startChild();
    // the job is still open in the store: the restarted daemon resumes it; --wait on a new submit follows to the end
    const end = Date.now() + 60_000;
    let rowsNow: Array<{ body: string; body_zh: string | null; translation_status: string }> = [];
    for (;;) {
      const r = await voc(h.home, ['export', '--all', '--format', 'ndjson'], { env });
      rowsNow = r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      if (rowsNow.length === 300 && rowsNow.every((x) => x.translation_status === 'done')) break;
      if (Date.now() > end) throw new Error(`not done: ${rowsNow.filter((x) => x.translation_status !== 'done').length} left`);
      await new Promise((r) => setTimeout(r, 300));
    }
    for (const row of rowsNow) expect(row.body_zh).toBe(simTranslation(normaliseForPrompt(row.body)));
    expect(sim.stats().batch).toMatchObject({ uploads: 1, batches: 1 });
    expect(sim.stats().requests).toBe(0);
  });
});
