#!/usr/bin/env node
// Smart batch translation at scale: 5,000 reviews mixed from ../shared/data/finefoods-dev.csv (English) and
// prdect-id-dev.csv (Indonesian) through a real daemon against the simulator (limit 25/s, latency 800 ms).
// Prints calls per 100 reviews for single-review mode and fixed 10-per-call (computed on the same rows), the
// seed profile and the tokens profile (both run); wall time against the ideal (calls / 25); the simulator's
// maximum in any 1000 ms window and its 429 count. Runs the built dist/; prints figures, asserts nothing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(root, '..', 'shared', 'data');
const files = ['finefoods-dev.csv', 'prdect-id-dev.csv'].map((f) => path.join(dataDir, f));
if (!files.every(existsSync)) {
  console.log(`skipped: the shared data (${files.join(', ')}) is not there`);
  process.exit(0);
}
const dist = (p) => import(path.join(root, 'dist', p));
const { loadConfig } = await dist('config/load.js');
const { startDaemon } = await dist('daemon/daemon.js');
const { clientFor } = await dist('daemon/client.js');
const { createGateway } = await dist('llm/gateway.js');
const { startSimulator } = await dist('llm/simulator/index.js');
const { createTranslationService } = await dist('translate/service.js');
const { TranslationEstimator } = await dist('translate/estimate.js');
const { readReviews } = await dist('ingest/index.js');
const { silentLogger } = await dist('log.js');

const TOTAL = Number(process.env.BENCH_REVIEWS ?? 5000);
const LIMIT = 25;
const LATENCY = 800;

// half from each file, interleaved, so both languages and every class are in the mix
const baseConfig = loadConfig({ env: { VOC_HOME: tmpdir() } });
async function take(file, n) {
  const out = [];
  for await (const item of readReviews(file, { config: baseConfig })) {
    if (item.kind === 'review') out.push(item.review);
    if (out.length >= n) break;
  }
  return out;
}
const a = await take(files[0], Math.ceil(TOTAL / 2));
const b = await take(files[1], TOTAL - a.length);
const rows = [];
for (let i = 0; rows.length < a.length + b.length; i++) {
  if (i < a.length) rows.push(a[i]);
  if (i < b.length) rows.push(b[i]);
}
const est = new TranslationEstimator(baseConfig);
for (const r of rows) est.add(r);
const e = est.result();
const per100 = (calls) => ((calls / rows.length) * 100).toFixed(1);

async function runProfile(packing) {
  const home = mkdtempSync(path.join(tmpdir(), 'voc-bt-'));
  const sim = await startSimulator({ port: 0, limit: LIMIT, latencyMs: LATENCY, seed: 1 });
  const config = loadConfig({
    env: { VOC_HOME: home },
    overrides: { 'translate.packing': packing, 'beat.checkPendingTranslations': false, 'analysis.autoLearn': false, 'llm.qps': LIMIT },
  });
  const d = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: (args) => createGateway({ ...args, baseUrl: sim.url, simulated: true }),
    services: (ctx) => [createTranslationService(ctx)],
  });
  const client = clientFor(d.socketPath);
  for (let i = 0; i < rows.length; i += 1000) await client.ingest({ file: 'bench', rows: rows.slice(i, i + 1000) });
  const t0 = performance.now();
  const job = await client.submitJob({ kind: 'translate' });
  const final = await client.followJob(job.id, () => {});
  const wall = (performance.now() - t0) / 1000;
  const s = sim.stats();
  await d.close();
  await sim.close();
  rmSync(home, { recursive: true, force: true });
  return { summary: final.result, wall, sim: s };
}

console.log(
  `${rows.length} reviews (${a.length} finefoods, ${b.length} prdect-id): vip ${e.classes.vip}, standard ${e.classes.standard}, short ${e.classes.short}; ` +
    `${e.texts} texts to translate (titles ${e.titles}), ${e.duplicates} duplicates, ${e.noCall} need no call`,
);
console.log(
  `calls per 100 reviews (estimated on the same rows): single ${per100(e.profiles.single.calls)}, fixed-10 ${per100(e.profiles.fixed10.calls)}, ` +
    `seed ${per100(e.profiles.seed.calls)}, tokens ${per100(e.profiles.tokens.calls)}`,
);
for (const packing of ['seed', 'tokens']) {
  const r = await runProfile(packing);
  const calls = r.summary.calls;
  const ideal = calls / LIMIT;
  console.log(
    `${packing.padEnd(6)} run: ${r.summary.translated} translated, ${r.summary.skipped} skipped, ${r.summary.failed} failed; ${calls} calls = ${per100(calls)} per 100 reviews ` +
      `(estimate ${e.profiles[packing].calls}); wall ${r.wall.toFixed(1)} s vs ideal ${ideal.toFixed(1)} s = ${(r.wall / ideal).toFixed(2)}x; ` +
      `simulator max in 1000 ms ${r.sim.maxInWindow} (limit ${LIMIT}), 429s ${r.sim.rejected429}, fallbacks ${r.summary.fallbacks}`,
  );
}
