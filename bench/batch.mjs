#!/usr/bin/env node
// Large backlogs: one review dump (--file=PATH, a CSV voc can ingest) translated three ways through a real
// daemon against the simulator (realtime limit 25/s, latency 800 ms): realtime (the default), the Batch API, and
// the Batch API with 10% malformed and 5% failed lines. Prints reviews translated with their own text, realtime
// calls, Batch API requests, uploads, tokens, cost and wall time, and the cost ratio against realtime measured in
// the same run. Runs the built dist/; prints figures, asserts nothing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv.find((a) => a.startsWith('--file='))?.slice('--file='.length);
if (!file || !existsSync(file)) {
  console.log('skipped: give a review dump with --file=PATH (npm run bench -- batch --file=reviews.csv)');
  process.exit(0);
}
const dist = (p) => import(path.join(root, 'dist', p));
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
