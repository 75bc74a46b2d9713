#!/usr/bin/env node
// The cap on the path a user runs: `voc ingest FILE` (defaults, automatic learning on), then
// `voc translate-pending --wait`, then `voc analyze --all --wait`, against `voc sim` (limit 25/s, latency 800 ms)
// answering a share of the JSON prompts (learning, insights, themes, batch translation) with malformed JSON, so
// retries mix with first attempts. Runs alternate one daemon (SQLite, in-process throttle) and two daemons (one
// PostgreSQL schema, one Redis window); the last two runs have a CPU-bound process beside them. Prints per run the
// simulator's max arrivals in any 1000 ms (429s included), its 429s and the sustained rate over the busy seconds.
// Usage: npm run bench -- cap <reviews file> [runs]   (or CAP_DATA / CAP_RUNS; CAP_MALFORMED, default 0.15)
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'voc');
const run = promisify(execFile);
const PG_BASE = process.env.VOC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.VOC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const data = process.argv[2] ?? process.env.CAP_DATA;
const RUNS = Number(process.argv[3] ?? process.env.CAP_RUNS ?? 10);
const MALFORMED = Number(process.env.CAP_MALFORMED ?? 0.15);
const LIMIT = 25;
if (!data) {
  console.log('cap: give a reviews file: npm run bench -- cap <reviews.csv> [runs]');
  process.exit(0);
}
const { waitForDaemon } = await import(path.join(root, 'dist', 'daemon', 'client.js'));

function env(home, extra) {
  const e = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VOC_|DASHSCOPE_|OPENAI_)/.test(k)) e[k] = v;
  return { ...e, VOC_HOME: home, NO_COLOR: '1', ...extra };
}

/** Runs a voc command; a non-zero exit (some reviews failed) is reported, not thrown. */
async function voc(home, extra, args) {
  try {
    return { code: 0, out: (await run(process.execPath, [bin, ...args], { env: env(home, extra), maxBuffer: 64 << 20, timeout: 1_800_000 })).stdout };
  } catch (err) {
    return { code: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

async function startSim(home) {
  const args = ['sim', '--port', '0', '--json', '--limit', String(LIMIT), '--malformed-rate', String(MALFORMED), '--seed', String(Date.now() % 100000)];
  const child = spawn(process.execPath, [bin, ...args], { env: env(home, {}), stdio: ['ignore', 'pipe', 'inherit'] });
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
  const base = url.replace(/\/v1$/, '');
  return { child, url, get: async (route) => (await fetch(`${base}${route}`)).json() };
}

async function servicesUp() {
  const c = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 3000 });
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await c.connect();
    await r.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
    r.disconnect();
  }
}

/** n daemons, each in its own home; two or more share a fresh PostgreSQL schema and Redis key prefix. */
async function daemons(n, simUrl) {
  const schema = `voc_cap_${randomBytes(4).toString('hex')}`;
  const prefix = `voccap:${randomBytes(4).toString('hex')}:`;
  const u = new URL(PG_BASE);
  u.searchParams.set('schema', schema);
  const shared = { VOC_LLM_BASE_URL: simUrl, VOC_LLM_API_KEY: 'sk-bench-cap', ...(n > 1 ? { VOC_DATABASE_URL: u.toString(), VOC_REDIS_URL: REDIS_URL } : {}) };
  // automatic learning on explicitly: its default may change, the path under test may not
  const config = { analysis: { autoLearn: true }, ...(n > 1 ? { redis: { keyPrefix: prefix } } : {}) };
  const homes = [];
  const children = [];
  for (let i = 0; i < n; i++) {
    const home = mkdtempSync(path.join(tmpdir(), `voc-cap${i}-`));
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
      if (n < 2) return;
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

/** Arrivals per whole second; busy seconds are those with at least half the cap (ramps and idle gaps excluded). */
function busyRate(arrivals) {
  if (!arrivals.length) return { rate: 0, seconds: 0 };
  const t0 = arrivals[0].at;
  const per = new Map();
  for (const a of arrivals) per.set(Math.floor((a.at - t0) / 1000), (per.get(Math.floor((a.at - t0) / 1000)) ?? 0) + 1);
  const busy = [...per.values()].filter((n) => n >= LIMIT / 2);
  return { rate: busy.length ? busy.reduce((s, n) => s + n, 0) / busy.length : 0, seconds: busy.length };
}

const hasServices = await servicesUp();
const work = mkdtempSync(path.join(tmpdir(), 'voc-capw-'));
const file = path.join(work, path.basename(data));
copyFileSync(data, file);
const table = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const n = i % 2 === 0 || !hasServices ? 1 : 2;
    const hog = RUNS >= 4 && i >= RUNS - 2;
    const sim = await startSim(work);
    const cpu = hog ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : null;
    const c = await daemons(n, sim.url);
    const t0 = Date.now();
    try {
      const ing = await voc(c.homes[0], c.shared, ['ingest', file, '--json']);
      const tr = await voc(c.homes[0], c.shared, ['translate-pending', '--wait', '--json']);
      const an = await voc(c.homes[n - 1], c.shared, ['analyze', '--all', '--wait', '--json']);
      const s = await sim.get('/stats');
      const busy = busyRate(await sim.get('/arrivals'));
      table.push({
        run: i + 1,
        daemons: n,
        'cpu hog': hog ? 'yes' : '',
        requests: s.requests,
        max_arrivals_in_1s: s.max_arrivals_in_1s,
        '429s': s.rejected429,
        'busy req/s': busy.rate.toFixed(1),
        'busy s': busy.seconds,
        malformed: s.malformed,
        learn: s.byTask.learn ?? 0,
        exits: `${ing.code}/${tr.code}/${an.code}`,
        'wall s': Math.round((Date.now() - t0) / 1000),
      });
      console.log(JSON.stringify(table[table.length - 1]));
    } finally {
      await c.stop();
      cpu?.kill('SIGKILL');
      sim.child.kill('SIGTERM');
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`cap: ${path.basename(data)}, simulator limit ${LIMIT}/s, malformed share ${MALFORMED}${hasServices ? '' : ' (PostgreSQL/Redis unreachable: one daemon only)'}`);
console.table(table);
const worst = table.reduce((m, r) => Math.max(m, r.max_arrivals_in_1s), 0);
console.log(`worst max_arrivals_in_1s ${worst} (cap ${LIMIT}), 429s in total ${table.reduce((s, r) => s + r['429s'], 0)}`);
