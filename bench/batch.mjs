#!/usr/bin/env node
// Large backlogs: one review dump (--file=PATH, a CSV voc can ingest) translated three ways through a real
// daemon against the simulator (realtime limit 25/s, latency 800 ms): realtime (the default), the Batch API, and
// the Batch API with 10% malformed and 5% failed lines. Prints reviews translated with their own text, realtime
// calls, Batch API requests, uploads, tokens, cost and wall time, and the cost ratio against realtime measured in
// the same run. Runs the built dist/; prints figures, asserts nothing.
//
// --independent: the same dump against bench/batch-server.py, an OpenAI-compatible server with the Batch API that
// shares no code with voc (Python standard library), through the CLI as a user runs it: `voc ingest FILE` then
// `voc translate-pending --batch --wait --json`; clean, with 10% malformed and 5% failed lines, and with the
// daemon killed (-9) while its batch is with the provider, then started again.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv.find((a) => a.startsWith('--file='))?.slice('--file='.length);
if (!file || !existsSync(file)) {
  console.log('skipped: give a review dump with --file=PATH (npm run bench -- batch --file=reviews.csv)');
  process.exit(0);
}
const dist = (p) => import(path.join(root, 'dist', p));
if (process.argv.includes('--independent')) {
  await independent(file);
  process.exit(0);
}
const { loadConfig } = await dist('config/load.js');
const { startDaemon } = await dist('daemon/daemon.js');
const { clientFor } = await dist('daemon/client.js');
const { createGateway } = await dist('llm/gateway.js');
const { startSimulator } = await dist('llm/simulator/index.js');
const { createTranslationService } = await dist('translate/service.js');
const { readReviews } = await dist('ingest/index.js');
const { simTranslation } = await dist('llm/tasks.js');
const { normaliseForPrompt } = await dist('text.js');
const { silentLogger } = await dist('log.js');

const LIMIT = 25;
const base = loadConfig({ env: { VOC_HOME: tmpdir() } });
const rows = [];
for await (const item of readReviews(file, { config: base })) if (item.kind === 'review') rows.push(item.review);

async function run(name, batch, faults = {}) {
  const home = mkdtempSync(path.join(tmpdir(), 'voc-bb-'));
  const sim = await startSimulator({ port: 0, limit: LIMIT, latencyMs: 800, seed: 1, batch: { completionMs: 3000, ...faults } });
  const config = loadConfig({
    env: { VOC_HOME: home },
    overrides: { 'beat.checkPendingTranslations': false, 'llm.qps': LIMIT, 'translate.batchPollMs': 500 },
  });
  const d = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: (args) => createGateway({ ...args, baseUrl: sim.url, simulated: true }),
    services: (ctx) => [createTranslationService(ctx)],
  });
  const client = clientFor(d.socketPath);
  for (let i = 0; i < rows.length; i += 1000) await client.ingest({ file: 'bench', rows: rows.slice(i, i + 1000) });
  const t0 = performance.now();
  const job = await client.submitJob({ kind: 'translate', params: { batch } });
  const final = await client.followJob(job.id, () => {});
  const wall = (performance.now() - t0) / 1000;
  const stored = await d.ctx.store.knex('reviews').select('body', 'body_zh', 'tr_status');
  const own = stored.filter((r) => r.tr_status === 'skipped' || r.body_zh === simTranslation(normaliseForPrompt(r.body))).length;
  const s = sim.stats();
  await d.close();
  await sim.close();
  rmSync(home, { recursive: true, force: true });
  const r = final.result;
  return {
    name,
    reviews: stored.length,
    own,
    calls: r.calls,
    requests: r.batchRequests ?? 0,
    uploads: s.batch.uploads,
    tokens: r.promptTokens + r.completionTokens,
    cost: r.cost,
    wall,
  };
}

const results = [
  await run('realtime', false),
  await run('batch', true),
  await run('batch, 10% malformed + 5% failed lines', true, { malformedRate: 0.1, failRate: 0.05 }),
];
const rt = results[0];
console.log(`${rows.length} reviews from ${path.basename(file)}; simulator: realtime ${LIMIT}/s, 800 ms; batches complete after 3 s`);
for (const r of results) {
  console.log(
    `${r.name.padEnd(40)} ${r.own}/${r.reviews} own text | ${String(r.calls).padStart(4)} realtime calls | ${String(r.requests).padStart(4)} batch requests, ${r.uploads} uploads | ` +
      `${r.tokens} tokens | ${r.cost.toFixed(4)} CNY (${(r.cost / rt.cost).toFixed(2)}x realtime) | ${r.wall.toFixed(1)} s`,
  );
}

/** The dump through the CLI against bench/batch-server.py (see the top of this file). */
async function independent(file) {
  const { loadConfig } = await dist('config/load.js');
  const { normaliseForPrompt } = await dist('text.js');
  const price = loadConfig({ env: { VOC_HOME: tmpdir() } }).llm.prices['qwen-flash'];
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (!python) {
    console.log('skipped: --independent needs python3');
    return;
  }
  const DELAY_S = 5;
  const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VOC_|DASHSCOPE_|OPENAI_)/.test(k)));
  const cli = (env, args) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(root, 'bin', 'voc'), ...args], { env, cwd: root });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d) => (out += d));
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => resolve({ code, out, err }));
    });

  async function scenario(name, serverArgs, { kill = false } = {}) {
    const server = spawn(python, [path.join(root, 'bench', 'batch-server.py'), '--delay', String(DELAY_S), ...serverArgs], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise((r) => createInterface({ input: server.stdout }).once('line', (l) => r(JSON.parse(l).url)));
    const stats = async () => (await fetch(url.replace(/\/v1$/, '/stats'))).json();
    const home = mkdtempSync(path.join(tmpdir(), 'voc-bi-'));
    writeFileSync(
      path.join(home, 'config.json'),
      JSON.stringify({
        beat: { checkPendingTranslations: false },
        daemon: { leaseMs: 3000, heartbeatMs: 500 },
        translate: { batchPollMs: 500, ...(process.env.BENCH_BATCH_REDO ? { batchRedo: process.env.BENCH_BATCH_REDO } : {}) },
      }),
    );
    const env = { ...cleanEnv(), VOC_HOME: home, VOC_LLM_BASE_URL: url, VOC_LLM_API_KEY: 'sk-bench-independent', NO_COLOR: '1' };
    try {
      const ingest = await cli(env, ['ingest', file, '--json']);
      if (ingest.code !== 0) throw new Error(`ingest: ${ingest.err}`);
      const t0 = performance.now();
      let killed = null;
      if (kill) {
        const submit = await cli(env, ['translate-pending', '--batch', '--json']);
        if (submit.code !== 0) throw new Error(`submit: ${submit.err}`);
        while ((await stats()).batches === 0) await new Promise((r) => setTimeout(r, 100));
        await new Promise((r) => setTimeout(r, (DELAY_S * 1000) / 3));
        const pid = JSON.parse((await cli(env, ['daemon', 'status', '--json'])).out).pid;
        process.kill(pid, 'SIGKILL');
        while (spawnSync('kill', ['-0', String(pid)]).status === 0) await new Promise((r) => setTimeout(r, 50));
        killed = { uploads: (await stats()).uploads, batches: (await stats()).batches };
      }
      // with a kill, this starts a new daemon, which resumes the open job; the command attaches to it
      const run = await cli(env, ['translate-pending', '--batch', '--wait', '--json']);
      const wall = (performance.now() - t0) / 1000;
      if (run.code !== 0) throw new Error(`translate-pending: ${run.err}`);
      const summary = JSON.parse(run.out);
      const exported = (await cli(env, ['export', '--all', '--format', 'ndjson'])).out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const own = exported.filter(
        (r) =>
          r.translation_status === 'skipped' || (r.translation_status === 'done' && r.body_zh === `译文：${normaliseForPrompt(r.body)}`),
      ).length;
      const s = await stats();
      const full = (summary.promptTokens * price.input + summary.completionTokens * price.output) / 1e6;
      return { name, reviews: exported.length, own, summary, server: s, killed, full, wall };
    } finally {
      await cli(env, ['daemon', 'stop']);
      server.kill();
      rmSync(home, { recursive: true, force: true });
    }
  }

  const results = [
    await scenario('--batch', []),
    await scenario('--batch, 10% malformed + 5% failed lines', ['--malformed-rate', '0.1', '--fail-rate', '0.05']),
    await scenario('--batch, daemon kill -9 mid-batch, restart', [], { kill: true }),
  ];
  console.log(`${path.basename(file)} through the CLI against bench/batch-server.py (independent; batches take ${DELAY_S} s)`);
  for (const r of results) {
    const x = r.summary;
    const redone = r.server.malformedLines + r.server.failedLines;
    console.log(
      `${r.name.padEnd(44)} ${r.own}/${r.reviews} own text | ${x.calls} realtime calls (server: ${r.server.realtimeRequests}; ${redone} lines redone) | ` +
        `${x.batchRequests} batch requests, ${r.server.uploads} uploads, ${r.server.batches} batches` +
        `${r.killed ? ` (before the kill: ${r.killed.uploads} upload, ${r.killed.batches} batch)` : ''} | ` +
        `${x.promptTokens + x.completionTokens} tokens | ${x.cost.toFixed(4)} CNY, batch part ${x.batchCost.toFixed(4)} ` +
        `(${(x.cost / r.full).toFixed(2)}x the realtime price of the same tokens) | ${r.wall.toFixed(1)} s`,
    );
  }
}
