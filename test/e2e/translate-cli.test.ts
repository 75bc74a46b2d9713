import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { cleanEnv as env, repoRoot, voc as vocCli, vocBin } from '../helpers/cli.js';
import { waitForDaemon } from '../../src/daemon/client.js';
import { simTranslation } from '../../src/llm/tasks.js';
import { startSimulator } from '../../src/llm/simulator/index.js';
import { normaliseForPrompt } from '../../src/text.js';
import { seedExample, textOf } from '../integration/translate-fixtures.js';

const bin = vocBin;
const voc = (home: string, args: string[], timeout?: number) => vocCli(home, args, { timeout });

/** A home whose daemon answers through the built-in simulator, fast, with short leases. */
function makeHome(tag: string, sim: { latencyMs: number; limit: number }) {
  const h = tempHome(tag);
  const config = {
    simulator: { latencyMs: sim.latencyMs, limit: sim.limit },
    llm: { qps: sim.limit },
    beat: { checkPendingTranslations: false },
    analysis: { autoLearn: false },
    daemon: { heartbeatMs: 200, leaseMs: 2000, shutdownTimeoutMs: 2000 },
  };
  writeFileSync(path.join(h.home, 'config.json'), JSON.stringify(config));
  return h;
}

function writeCsv(file: string, rows: Array<{ body: string; rating: number }>, start = 0): void {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(file, ['review_id,product_id,rating,body', ...rows.map((r, i) => `${start + i},P1,${r.rating},${q(r.body)}`)].join('\n'));
}

async function exported(home: string): Promise<Array<Record<string, string | null>>> {
  const r = await voc(home, ['export', '--all', '--format', 'ndjson']);
  expect(r.code).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('voc translate-pending (CLI, background daemon, built-in simulator)', () => {
  const h = makeHome('tc', { latencyMs: 5, limit: 500 });
  afterAll(async () => {
    await voc(h.home, ['daemon', 'stop']);
    h.cleanup();
  });

  it('starts the daemon, translates everything, prints the summary with --json and exits 0; export shows it', async () => {
    const file = path.join(h.home, 'seed.csv');
    writeCsv(file, seedExample());
    expect((await voc(h.home, ['ingest', file, '--json'])).code).toBe(0);
    const r = await voc(h.home, ['translate-pending', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ translated: 100, failed: 0, calls: 19, classes: { vip: 10, standard: 30, short: 60 } });
    const rows = await exported(h.home);
    expect(rows).toHaveLength(100);
    for (const row of rows)
      expect(row).toMatchObject({ translation_status: 'done', body_zh: simTranslation(normaliseForPrompt(row.body!)) });
    // cron again: nothing left, nothing paid
    const again = await voc(h.home, ['translate-pending', '--wait', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ translated: 0, calls: 0 });
  });

  it('plain output without --json is one summary line (no progress bar off a terminal)', async () => {
    const file = path.join(h.home, 'more.csv');
    writeCsv(file, [{ body: 'Brand new text to translate', rating: 4 }], 5000);
    expect((await voc(h.home, ['ingest', file])).code).toBe(0);
    const r = await voc(h.home, ['translate-pending', '--wait']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^translated 1 \(vip 0, standard 0, short 1\), skipped 0, from cache 0, failed 0; 1 calls/m);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('rejects a bad --limit before talking to the daemon', async () => {
    const r = await voc(h.home, ['translate-pending', '--limit', 'lots']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--limit must be a whole number');
  });
});

describe('kill -9 of the daemon mid-run', () => {
  // slow enough (about 130 calls at 10/s) that the kill lands mid-run
  const h = makeHome('tk', { latencyMs: 150, limit: 10 });
  afterAll(async () => {
    await voc(h.home, ['daemon', 'stop']);
    h.cleanup();
  });

  it('after a restart every review ends translated, none lost, each with its own text', async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => ({ body: textOf(i % 4 === 0 ? 120 : 45, i + 20000), rating: 3 }));
    const file = path.join(h.home, 'big.csv');
    writeCsv(file, rows);
    // --direct: no background daemon may start here, the test's own foreground daemon is the one it kills
    expect((await voc(h.home, ['ingest', file, '--json', '--direct'])).code).toBe(0);
    // the daemon runs in the foreground as this test's child, so its corpse is reaped and a restart can take the lock
    const startDaemonChild = async () => {
      const child = spawn(process.execPath, [bin, 'daemon', 'run'], { env: env(h.home), cwd: repoRoot, stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      expect(await waitForDaemon(path.join(h.home, 'voc.sock'), 20_000)).not.toBeNull();
      return { child, exited };
    };
    const daemon = await startDaemonChild();
    const first = spawn(process.execPath, [bin, 'translate-pending', '--wait', '--json'], {
      env: env(h.home),
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let firstOut = '';
    first.stdout!.setEncoding('utf8');
    first.stdout!.on('data', (d) => (firstOut += d));
    first.stderr!.setEncoding('utf8');
    first.stderr!.on('data', (d) => (firstOut += d));
    const firstExit = new Promise<number | null>((r) => first.on('close', (code) => r(code)));
    // wait until some reviews are done, then kill the daemon hard
    const deadline = Date.now() + 30_000;
    for (;;) {
      // the daemon's own counters: cheap, no store read competing with its writes
      const st = await voc(h.home, ['status', '--json']);
      const done = st.code === 0 ? Number(JSON.parse(st.stdout).classifier.translated) : 0;
      if (done > 100) break;
      if (Date.now() > deadline) throw new Error('no progress before the kill');
      await new Promise((r) => setTimeout(r, 200));
    }
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    expect(await firstExit, firstOut).toBe(2);
    const partial = (await exported(h.home)).filter((r) => r.translation_status === 'done').length;
    expect(partial).toBeLessThan(1500);
    await startDaemonChild();
    // restart (cron runs again) until nothing is left; expired leases are taken over
    const end = Date.now() + 60_000;
    let all: Array<Record<string, string | null>> = [];
    for (;;) {
      const r = await voc(h.home, ['translate-pending', '--wait', '--json']);
      expect([0, 1], r.stderr).toContain(r.code);
      all = await exported(h.home);
      if (all.every((x) => x.translation_status === 'done')) break;
      if (Date.now() > end) throw new Error(`still not done: ${all.filter((x) => x.translation_status !== 'done').length}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(all).toHaveLength(1500);
    for (const row of all) expect(row.body_zh).toBe(simTranslation(normaliseForPrompt(row.body!)));
  });
});

describe('voc translate-pending when the provider refuses every call', () => {
  it("says why the reviews failed (the provider's reason, once per reason), never the key", async () => {
    const sim = await startSimulator({ port: 0, latencyMs: 5, apiKeys: ['sk-the-right-key'] });
    const h = tempHome('tf');
    const wrongKey = 'sk-wrong-key-123456';
    const env = { VOC_LLM_BASE_URL: sim.url, VOC_LLM_API_KEY: wrongKey };
    writeFileSync(
      path.join(h.home, 'config.json'),
      JSON.stringify({ beat: { checkPendingTranslations: false }, analysis: { autoLearn: false }, daemon: { shutdownTimeoutMs: 2000 } }),
    );
    try {
      const file = path.join(h.home, 'few.csv');
      writeCsv(file, [
        { body: 'Great kettle, boils fast', rating: 5 },
        { body: 'Broke after a week', rating: 1 },
      ]);
      expect((await vocCli(h.home, ['ingest', file], { env })).code).toBe(0);
      const r = await vocCli(h.home, ['translate-pending', '--wait'], { env, timeout: 60_000 });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^2 reviews failed: later runs retry them/m);
      expect(r.stdout).toMatch(/^ {2}2 × .*401/m);
      const json = await vocCli(h.home, ['translate-pending', '--wait', '--json'], { env, timeout: 60_000 });
      expect(JSON.parse(json.stdout).failures).toEqual([{ error: expect.stringMatching(/401/), reviews: 2 }]);
      for (const out of [r.stdout, r.stderr, json.stdout, json.stderr]) expect(out).not.toContain(wrongKey);
    } finally {
      await vocCli(h.home, ['daemon', 'stop'], { env });
      await sim.close();
      h.cleanup();
    }
  });
});
