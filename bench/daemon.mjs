#!/usr/bin/env node
// The daemon under load: 354 lane tasks in flight at once (each awaiting 2 s of simulated I/O) over the pools, the
// daemon's peak RSS, the overhead of one task dispatch, and the latency of 1,000-row ingestion chunks sent over
// the socket while those tasks are in flight. Runs the built dist/ in-process; prints figures, asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(root, 'dist', p));
const { loadConfig } = await dist('config/load.js');
const { startDaemon } = await dist('daemon/daemon.js');
const { clientFor } = await dist('daemon/client.js');
const { unavailableGateway } = await dist('daemon/gateway.js');
const { silentLogger } = await dist('log.js');

const home = mkdtempSync(path.join(tmpdir(), 'voc-bench-'));
const config = loadConfig({ env: { VOC_HOME: home } });
const d = await startDaemon(config, { log: silentLogger, gatewayFactory: () => unavailableGateway(config, 'bench'), services: () => [] });
const client = clientFor(d.socketPath);
const lanes = d.lanes;

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const ms = (x) => `${x.toFixed(1)} ms`;
let seq = 0;
const rows = (n) =>
  Array.from({ length: n }, () => {
    const i = seq++;
    const body = `bench review ${i}: the zipper broke after two weeks, otherwise a fine bag for the price`;
    return {
      sourceKey: `bench:${i}`,
      reviewId: String(i),
      productId: `P${i % 50}`,
      marketplace: null,
      rating: 1 + (i % 5),
      title: null,
      body,
      bodyHash: `h${i}`,
      reviewDate: null,
      author: null,
      language: 'en',
      class: 'standard',
      bodyLen: body.length,
    };
  });

async function ingestLatencies(chunks) {
  const out = [];
  for (let i = 0; i < chunks; i++) {
    const t0 = performance.now();
    await client.ingest({ file: 'bench.csv', rows: rows(1000) });
    out.push(performance.now() - t0);
  }
  return out;
}

// 1. dispatch overhead: zero-work tasks through the pools, 354 at a time (no jitter: we time the runner, not sleep)
const noJitter = loadConfig({
  env: { VOC_HOME: home },
  overrides: Object.fromEntries(['vip', 'trans', 'insight', 'theme'].map((p) => [`pools.${p}.jitterMs`, [0, 0]])),
});
const { createLaneRunner } = await dist('lanes/runner.js');
const { SafeEmitter } = await dist('events.js');
const bare = createLaneRunner({ config: noJitter, events: new SafeEmitter(), log: silentLogger, signal: new AbortController().signal });
// 354 LLM-lane tasks: 350 fill vip/trans/insight/theme, the 4 extra learning tasks wait on vip (nothing touches base)
const mix = [
  ...Array(54).fill('learning'),
  ...Array(100).fill('translation'),
  ...Array(100).fill('insight_extraction'),
  ...Array(100).fill('theme_extraction'),
];
const rounds = 60;
const t0 = performance.now();
for (let r = 0; r < rounds; r++) await Promise.all(mix.map((lane) => bare.submit({ lane, label: 'noop', run: async () => {} })));
const perDispatch = (performance.now() - t0) / (rounds * mix.length);

// 2. ingestion while idle, as the baseline
await ingestLatencies(3); // warm-up
const idle = await ingestLatencies(10);

// 3. 354 tasks in flight, each awaiting 2 s, kept topped up while we ingest
let stop = false;
let finished = 0;
const loops = mix.map(async (lane) => {
  while (!stop) {
    await lanes.submit({ lane, label: 'io 2s', run: () => new Promise((r) => setTimeout(r, 2000)) });
    finished++;
  }
});
const until = async (cond) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
};
await until(() => lanes.inFlight() === 350);
const inFlightSeen = lanes.inFlight();
const waitingSeen = ['learning', 'translation', 'insight_extraction', 'theme_extraction'].reduce((n, l) => n + lanes.queued(l), 0);
const busy = await ingestLatencies(20);
const pools = lanes.poolStats();
stop = true;
await Promise.all(loops);
clearInterval(sampler);
await d.close();
rmSync(home, { recursive: true, force: true });

console.log(
  `jobs submitted at once        ${mix.length}: ${inFlightSeen} running, ${waitingSeen} waiting (pool peaks: ${Object.entries(pools)
    .map(([k, p]) => `${k} ${p.peak}/${p.cap}`)
    .join(', ')})`,
);
console.log(`2-second jobs finished         ${finished}`);
console.log(
  `peak RSS                       ${(peakRss / 1024 / 1024).toFixed(0)} MB (target < 250 MB; the seed budgeted 6.5 GB for five workers)`,
);
console.log(`overhead per job dispatch      ${(perDispatch * 1000).toFixed(1)} us (target < 1 ms), ${rounds * mix.length} zero-work jobs`);
console.log(`ingest 1,000 rows, idle        p50 ${ms(pct(idle, 0.5))}  p95 ${ms(pct(idle, 0.95))}`);
console.log(`ingest 1,000 rows, 354 busy    p50 ${ms(pct(busy, 0.5))}  p95 ${ms(pct(busy, 0.95))} (target p95 < 1 s)`);
console.log(`busy / idle p95 ratio          ${(pct(busy, 0.95) / pct(idle, 0.95)).toFixed(2)}`);
process.exit(0);
