#!/usr/bin/env node
// The LLM gateway under saturated demand against the simulator (limit 25/s, latency 800 ms), with the default
// configuration (window 1000 ms + 15 ms margin): one process with the in-process throttle, then two OS processes
// sharing one Redis window, then the simulator's limit lowered to 20 without telling the gateway. The simulator and
// the load run in separate processes so the provider's clock is its own. Prints figures; asserts nothing.
// Duration per phase: GATEWAY_BENCH_SECONDS or the first argument (default 60). Redis: VOC_BENCH_REDIS_URL
// (default redis://127.0.0.1:6379); the Redis phase is skipped when it is unreachable.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(root, 'dist', p));
const { loadConfig } = await dist('config/load.js');
const { spawnSimulator } = await dist('llm/simulator/process.js');
const { Redis } = await import('ioredis');

const seconds = Number(process.env.GATEWAY_BENCH_SECONDS ?? process.argv[2] ?? 60);
const durationMs = Math.max(5, seconds) * 1000;
const redisUrl = process.env.VOC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CALLERS = 300;
// GATEWAY_BENCH_MARGIN_MS overrides llm.marginMs (default 15) to see what a busy machine needs
const overrides = process.env.GATEWAY_BENCH_MARGIN_MS ? { 'llm.marginMs': Number(process.env.GATEWAY_BENCH_MARGIN_MS) } : {};
const home = mkdtempSync(path.join(tmpdir(), 'voc-bench-gw-'));

function loadProcess(opts) {
  // the load generator is TypeScript beside this file; vite-node (with vitest) runs it without a build step
  const child = spawn(
    path.join(root, 'node_modules', '.bin', 'vite-node'),
    [path.join(root, 'bench/loadgen-main.ts'), JSON.stringify(opts)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`load process exited with ${code}`)),
    ),
  );
}

/** Accepted requests per second at the simulator, between the first arrival + 2 s (ramp) and the last arrival. */
function sustained(arrivals) {
  const ok = arrivals.filter((a) => a.status !== 429);
  if (ok.length < 2) return 0;
  const from = ok[0].at + 2000;
  const to = ok[ok.length - 1].at;
  const n = ok.filter((a) => a.at >= from && a.at <= to).length;
  return to > from ? (n - 1) / ((to - from) / 1000) : 0;
}

const fmt = (n, d = 2) => Number(n).toFixed(d);

async function phase(name, sim, cap, loads) {
  await sim.reset();
  const startAt = Date.now() + 1500;
  const results = await Promise.all(
    loads.map((o) => loadProcess({ ...o, baseUrl: sim.url, callers: Math.floor(CALLERS / loads.length), durationMs, startAt })),
  );
  const s = await sim.stats();
  const arrivals = await sim.arrivals();
  const rate = sustained(arrivals);
  console.log(`${name}`);
  console.log(`  sustained ${fmt(rate)} requests/s   ratio to the cap ${fmt((rate / cap) * 100, 1)}%   (cap ${cap}/s; target >= 98%)`);
  const t0 = arrivals[0]?.at ?? 0;
  const at429 = arrivals
    .filter((a) => a.status === 429)
    .slice(0, 6)
    .map((a) => `${fmt((a.at - t0) / 1000, 1)}s`);
  console.log(
    `  simulator: max in any 1000 ms window ${s.maxInWindow} (limit ${s.limit})   429s ${s.rejected429}${at429.length ? ` (at ${at429.join(', ')})` : ''}   accepted ${s.accepted}`,
  );
  console.log(
    `  gateway: calls ok ${results.reduce((a, r) => a + r.ok, 0)}, failed ${results.reduce((a, r) => a + r.failed, 0)}, retries ${results.reduce((a, r) => a + r.stats.retries, 0)}`,
  );
  return { s, arrivals, results };
}

const sim = await spawnSimulator(
  { limit: 25, latencyMs: 800, seed: 1 },
  { cmd: process.execPath, args: [path.join(root, 'dist/llm/simulator/main.js')] },
);
try {
  const config = loadConfig({ env: { VOC_HOME: home }, overrides });
  console.log(
    `gateway bench: ${seconds} s per phase, ${CALLERS} concurrent callers, simulator limit 25/s latency 800 ms, margin ${config.llm.marginMs} ms`,
  );

  await phase('one process (in-process throttle)', sim, 25, [{ config }]);

  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  const redisOk = await probe.connect().then(
    () => true,
    () => false,
  );
  if (redisOk) {
    const prefix = `vocbench:${randomBytes(4).toString('hex')}:`;
    const shared = loadConfig({ env: { VOC_HOME: home, VOC_REDIS_URL: redisUrl }, overrides: { ...overrides, 'redis.keyPrefix': prefix } });
    await phase('two processes sharing one Redis window', sim, 25, [
      { config: shared, redisUrl },
      { config: shared, redisUrl },
    ]);
    const keys = await probe.keys(`${prefix}*`);
    if (keys.length) await probe.del(...keys);
  } else console.log(`two processes sharing Redis: skipped, Redis not reachable at ${redisUrl}`);
  probe.disconnect();

  await sim.setLimit(20);
  const { arrivals } = await phase('simulator limit lowered to 20, gateway not told (adaptive rate)', sim, 20, [{ config }]);
  const limited = arrivals.filter((a) => a.status === 429);
  const t0 = arrivals[0]?.at ?? 0;
  const last = limited.length ? limited[limited.length - 1].at - t0 : 0;
  const tail = arrivals.filter((a) => a.status !== 429 && a.at >= arrivals[arrivals.length - 1].at - Math.min(20_000, durationMs / 3));
  const tailRate = tail.length > 1 ? (tail.length - 1) / ((tail[tail.length - 1].at - tail[0].at) / 1000) : 0;
  const firstSecond = (ms) => limited.filter((a) => a.at - t0 < ms).length;
  console.log(
    `  429s until the rate settled: ${firstSecond(last + 1)} (first ${firstSecond(5000)} within 5 s; last at ${fmt(last / 1000, 1)} s)`,
  );
  console.log(
    `  settled at ${fmt(tailRate)} requests/s over the last ${fmt(Math.min(20, seconds / 3), 0)} s (${fmt((tailRate / 20) * 100, 1)}% of the new limit)`,
  );
} finally {
  await sim.stop();
  rmSync(home, { recursive: true, force: true });
}
