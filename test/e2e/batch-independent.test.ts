import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { cleanEnv, repoRoot, voc, vocBin } from '../helpers/cli.js';
import { waitForDaemon } from '../../src/daemon/client.js';
import { normaliseForPrompt } from '../../src/text.js';
import { textOf } from '../integration/translate-fixtures.js';

/**
 * The Batch API against a server that is not the project's own: bench/batch-server.py (Python standard library,
 * no voc code) reads the upload as a provider does and answers from the prompt contract. A smaller run of
 * `npm run bench -- batch --independent`. CI installs python3; without it the test says so and is skipped.
 */
const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
if (!python) console.warn('[voc tests] python3 not found: the Batch API test against bench/batch-server.py is skipped (install python3)');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const TRANSLATED = '译文：';

async function server(args: string[]): Promise<{ url: string; stats: () => Promise<Record<string, number>> }> {
  const child: ChildProcess = spawn(python!, [path.join(repoRoot, 'bench', 'batch-server.py'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => void child.kill());
  const url = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l).url)),
  );
  return { url, stats: async () => (await fetch(url.replace(/\/v1$/, '/stats'))).json() as Promise<Record<string, number>> };
}

async function setup(serverArgs: string[], translate: Record<string, unknown> = {}) {
  const srv = await server(serverArgs);
  const h = tempHome('bi');
  const env = cleanEnv(h.home, { VOC_LLM_BASE_URL: srv.url, VOC_LLM_API_KEY: 'sk-independent' });
  cleanups.push(async () => {
    await voc(h.home, ['daemon', 'stop'], { env });
    h.cleanup();
  });
  writeFileSync(
    path.join(h.home, 'config.json'),
    JSON.stringify({
      beat: { checkPendingTranslations: false },
      daemon: { heartbeatMs: 200, leaseMs: 1500 },
      translate: { batchPollMs: 100, ...translate },
    }),
  );
  // short, standard and vip reviews in Indonesian and English, as in PRDECT-ID
  const rows = [
    'review_id,product_id,rating,body',
    ...Array.from({ length: 240 }, (_, i) => {
      const body =
        i % 3
          ? textOf(i % 4 ? 45 : 130, i)
          : `barang bagus dan pengiriman cepat nomor ${i}${i % 6 ? '' : ' '.repeat(1) + 'sangat puas sekali, '.repeat(14)}`;
      return `${i},P${i % 9},${(i % 5) + 1},"${body}"`;
    }),
  ];
  const file = path.join(h.home, 'r.csv');
  writeFileSync(file, rows.join('\n'));
  return { ...srv, home: h.home, env, file };
}

async function ownText(home: string, env: NodeJS.ProcessEnv): Promise<{ own: number; total: number }> {
  const r = await voc(home, ['export', '--all', '--format', 'ndjson'], { env });
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { body: string; body_zh: string | null; translation_status: string });
  const own = rows.filter((x) => x.translation_status === 'done' && x.body_zh === TRANSLATED + normaliseForPrompt(x.body)).length;
  return { own, total: rows.length };
}

describe.skipIf(!python)('Batch API against an independent OpenAI-compatible server (bench/batch-server.py)', () => {
  /** The 240 reviews through `--batch` with 10% malformed and 5% failed lines: each has its own text */
  async function badLinesRun(translate: Record<string, unknown> = {}) {
    const s = await setup(['--delay', '1', '--malformed-rate', '0.1', '--fail-rate', '0.05', '--seed', '3'], translate);
    expect((await voc(s.home, ['ingest', s.file], { env: s.env })).code).toBe(0);
    const run = await voc(s.home, ['translate-pending', '--batch', '--wait', '--json'], { env: s.env, timeout: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    const st = await s.stats();
    expect(st.malformedLines + st.failedLines).toBeGreaterThan(0);
    expect(await ownText(s.home, s.env)).toEqual({ own: 240, total: 240 });
    expect(summary).toMatchObject({ translated: 240, failed: 0, mode: 'batch' });
    return { summary, st };
  }

  it('10% malformed and 5% failed lines, defaults: every review with its own text, the bad lines in follow-up batches', async () => {
    const { summary, st } = await badLinesRun();
    expect(st.uploads).toBeGreaterThan(1);
    expect(st.batches).toBe(st.uploads);
    // realtime only for what is left after the last follow-up round, if anything
    expect(summary.calls).toBe(st.realtimeRequests);
    expect(summary.calls).toBeLessThanOrEqual(st.malformedLines + st.failedLines);
    expect(summary.cost).toBeCloseTo(summary.batchCost, summary.calls ? 2 : 6);
  });

  it('10% malformed and 5% failed lines, batchRedo realtime: every review with its own text, realtime only for the redone lines, one upload', async () => {
    const { summary, st } = await badLinesRun({ batchRedo: 'realtime' });
    expect(summary.batchRequests).toBe(st.lines - st.failedLines);
    expect(st).toMatchObject({ uploads: 1, batches: 1 });
    // the realtime calls are the redone lines' halves (a line of one text is asked once)
    expect(summary.calls).toBe(st.realtimeRequests);
    expect(st.realtimeRequests).toBeGreaterThan(0);
    expect(st.realtimeRequests).toBeLessThanOrEqual(2 * (st.malformedLines + st.failedLines));
    expect(summary.batchCost).toBeGreaterThan(0);
    expect(summary.cost).toBeGreaterThan(summary.batchCost);
  });

  it('kill -9 of the daemon while the batch is with the server, then a restart: no second upload, nothing lost', async () => {
    const s = await setup(['--delay', '4', '--seed', '5']);
    expect((await voc(s.home, ['ingest', s.file, '--direct'], { env: s.env })).code).toBe(0);
    const socket = path.join(s.home, 'voc.sock');
    const start = async () => {
      const child = spawn(process.execPath, [vocBin, 'daemon', 'run'], { env: s.env, cwd: repoRoot, stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      expect(await waitForDaemon(socket, 20_000)).not.toBeNull();
      return { child, exited };
    };
    const first = await start();
    expect((await voc(s.home, ['translate-pending', '--batch', '--json'], { env: s.env })).code).toBe(0);
    const deadline = Date.now() + 20_000;
    while ((await s.stats()).batches === 0) {
      if (Date.now() > deadline) throw new Error('no batch created');
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    await start();
    const run = await voc(s.home, ['translate-pending', '--batch', '--wait', '--json'], { env: s.env, timeout: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(await ownText(s.home, s.env)).toEqual({ own: 240, total: 240 });
    expect(await s.stats()).toMatchObject({ uploads: 1, batches: 1, realtimeRequests: 0 });
  });
});
