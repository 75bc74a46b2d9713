#!/usr/bin/env node
// Several daemons, one budget: one, two and three `voc daemon run` processes (separate homes) on one PostgreSQL
// schema and one Redis window, against `voc sim` (limit 25/s, latency 800 ms). Prints, per daemon count, the
// translation throughput of one backlog (~2,000 generated reviews, every class), the simulator's maximum in any
// 1000 ms window and its 429s; then the ingestion throughput of 3 files ingested in parallel, spread over the
// daemons. Expected: the same ~25 calls/s whatever the count (the budget is global), more ingestion with more
// daemons. Runs the built dist/ through bin/voc; prints figures, asserts nothing.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'voc');
const run = promisify(execFile);
const PG_BASE = process.env.VOC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.VOC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REVIEWS = Number(process.env.BENCH_REVIEWS ?? 2000);
const INGEST_ROWS = Number(process.env.BENCH_INGEST_ROWS ?? 30000);
const LIMIT = 25;
const LATENCY = 800;
const { waitForDaemon } = await import(path.join(root, 'dist', 'daemon', 'client.js'));

async function reachable() {
  const c = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 3000 });
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await c.connect();
    await r.connect();
    await r.ping();
    return true;
  } catch (err) {
    console.log(`skipped: PostgreSQL (${PG_BASE}) and Redis (${REDIS_URL}) are needed: ${err.message}`);
    return false;
  } finally {
    await c.end().catch(() => {});
    r.disconnect();
  }
}
if (!(await reachable())) process.exit(0);

// the classes in the proportions of the failure suite: 9 short, 7 standard, 4 vip in every 20
const PARTS = [
  'the strap feels solid and the buckle has not loosened after daily use',
  'delivery took longer than promised but the box arrived intact',
  'battery life is about half of what the listing claims',
  'customer support answered within a day and sent a replacement part',
];
function csv(file, n, tag) {
  const q = (s) => `"${s.replace(/"/g, '""')}"`;
  const lines = ['review_id,product_id,rating,body'];
  for (let i = 0; i < n; i++) {
    const k = i % 20;
    let rating = 2 + (i % 3);
    let body = `Fine ${tag} #${i}`;
    if (k >= 9 && k < 16) body = `Review ${tag} ${i}: ${PARTS[i % 4]}.`;
    if (k >= 16) {
      rating = i % 2 ? 1 : 5;
      body = `Long review ${tag} ${i}: ${PARTS[i % 4]}; ${PARTS[(i + 1) % 4]}; ${PARTS[(i + 2) % 4]}.`;
    }
    lines.push(`${q(`${tag}${i}`)},P${i % 10},${rating},${q(body)}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

function env(home, extra) {
  const e = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VOC_|DASHSCOPE_|OPENAI_)/.test(k)) e[k] = v;
  return { ...e, VOC_HOME: home, NO_COLOR: '1', ...extra };
}
const voc = async (home, extra, args) =>
  (await run(process.execPath, [bin, ...args], { env: env(home, extra), maxBuffer: 64 << 20, timeout: 900_000 })).stdout;

async function startSim(home) {
  const child = spawn(process.execPath, [bin, 'sim', '--port', '0', '--json', '--limit', String(LIMIT), '--latency-ms', String(LATENCY)], {
    env: env(home, {}),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      try {
        resolve(JSON.parse(buf).url);
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (c) => reject(new Error(`voc sim exited ${c}`)));
  });
  return { child, url, stats: async () => (await fetch(`${url.replace(/\/v1$/, '')}/stats`)).json() };
}

/** n daemons on a fresh schema and key prefix; returns their homes, the shared env and a stop function. */
async function cluster(n, simUrl) {
  const schema = `voc_bench_${randomBytes(4).toString('hex')}`;
  const u = new URL(PG_BASE);
  u.searchParams.set('schema', schema);
  const prefix = `vocbench:${randomBytes(4).toString('hex')}:`;
  const shared = {
    VOC_DATABASE_URL: u.toString(),
    VOC_REDIS_URL: REDIS_URL,
    VOC_LLM_BASE_URL: simUrl,
    VOC_LLM_API_KEY: 'sk-bench-cluster',
  };
  const config = {
    redis: { keyPrefix: prefix },
    llm: { qps: LIMIT },
    beat: { checkPendingTranslations: false },
    analysis: { autoLearn: false },
  };
  const homes = [];
  const children = [];
  for (let i = 0; i < n; i++) {
    const home = mkdtempSync(path.join(tmpdir(), `voc-bc${i}-`));
    writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
    homes.push(home);
    children.push(spawn(process.execPath, [bin, 'daemon', 'run'], { env: env(home, shared), stdio: 'ignore' }));
  }
  for (const h of homes) if (!(await waitForDaemon(path.join(h, 'voc.sock'), 60_000))) throw new Error(`a daemon did not start in ${h}`);
  return {
    homes,
    shared,
    stop: async () => {
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : (c.once('exit', r), c.kill('SIGTERM'))))));
      for (const h of homes) rmSync(h, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
      const r = new Redis(REDIS_URL);
      const keys = await r.keys(`${prefix}*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    },
  };
}

const work = mkdtempSync(path.join(tmpdir(), 'voc-bcw-'));
const backlog = path.join(work, 'backlog.csv');
csv(backlog, REVIEWS, 'b');
const ingestFiles = [0, 1, 2].map((i) => path.join(work, `ingest-${i}.csv`));
ingestFiles.forEach((f, i) => csv(f, INGEST_ROWS, `i${i}x`));

const table = [];
try {
  for (const n of [1, 2, 3]) {
    const sim = await startSim(work);
    const c = await cluster(n, sim.url);
    try {
      await voc(c.homes[0], c.shared, ['ingest', backlog, '--json']);
      const t0 = Date.now();
      const out = JSON.parse(await voc(c.homes[0], c.shared, ['translate-pending', '--wait', '--json']));
      const trMs = Date.now() - t0;
      const s = await sim.stats();
      // ingestion: three files at once, file i through daemon i % n
      const i0 = Date.now();
      await Promise.all(ingestFiles.map((f, i) => voc(c.homes[i % n], c.shared, ['ingest', f, '--json'])));
      const inMs = Date.now() - i0;
      table.push({
        daemons: n,
        'reviews/s': (REVIEWS / (trMs / 1000)).toFixed(1),
        'calls/s': (s.requests / (trMs / 1000)).toFixed(1),
        calls: s.requests,
        'translate s': (trMs / 1000).toFixed(1),
        failed: out.failed ?? 0,
        maxInWindow: s.maxInWindow,
        '429s': s.rejected429,
        'ingest rows/s': Math.round((3 * INGEST_ROWS) / (inMs / 1000)),
      });
    } finally {
      await c.stop();
      sim.child.kill('SIGTERM');
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(
  `cluster: ${REVIEWS} reviews backlog, simulator limit ${LIMIT}/s latency ${LATENCY} ms; ingestion of 3 x ${INGEST_ROWS} rows in parallel`,
);
console.table(table);
