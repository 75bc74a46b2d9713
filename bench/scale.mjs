#!/usr/bin/env node
// A large backlog on one daemon: N synthetic reviews (six languages, the seed's length mix: ~8% long, ~32% medium,
// ~60% short, half with a title) are generated in the run and stored, then one daemon process (`voc daemon run`)
// translates them against a `voc sim` process with the given limit and 100 ms latency, VOC_QPS = the limit.
// Prints, per store / size / limit: calls, wall against calls/limit, requests/s sustained, daemon CPU per call
// (from /proc/<pid>/stat over the translation), the daemon's peak RSS (VmHWM) and the machine's load average.
// Prints figures, asserts nothing. Options (environment):
//   BENCH_SCALE_SIZES=100000,1000000   review counts     BENCH_SCALE_LIMITS=200,25   simulator limits (req/s)
//   BENCH_SCALE_STORES=sqlite,pg       stores            BENCH_SCALE_MAX_S=600       a run stops after this long
//   BENCH_SCALE_DAEMON_FLAGS='--cpu-prof --cpu-prof-dir DIR'   node flags for the daemon (a profile, --trace-gc)
//   BENCH_SCALE_DAEMON_OUT=FILE        the daemon's stdout (its log lines) appended to FILE
//   BENCH_SCALE_BEAT=1                 the beat's 15 s pending check on (off: the idle figure is taken before the job)
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(path.join(root, 'dist', 'main.js'))) {
  console.log('skipped: not built; run `npm run build` first');
  process.exit(0);
}
const dist = (p) => import(path.join(root, 'dist', p));
const { loadConfig } = await dist('config/load.js');
const { openStore } = await dist('store/db.js');
const { insertReviews } = await dist('store/insert.js');
const { toReview } = await dist('ingest/validate.js');
const { clientFor, waitForDaemon } = await dist('daemon/client.js');

const list = (v, d) =>
  (v ?? d)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const SIZES = list(process.env.BENCH_SCALE_SIZES, '100000,1000000').map(Number);
const LIMITS = list(process.env.BENCH_SCALE_LIMITS, '200,25').map(Number);
const STORES = list(process.env.BENCH_SCALE_STORES, 'sqlite,pg');
const MAX_S = Number(process.env.BENCH_SCALE_MAX_S ?? 600);
const DAEMON_FLAGS = (process.env.BENCH_SCALE_DAEMON_FLAGS ?? '').split(' ').filter(Boolean);
const DAEMON_OUT = process.env.BENCH_SCALE_DAEMON_OUT;
const LATENCY = 100;
const BEAT = process.env.BENCH_SCALE_BEAT === '1';
const PG_BASE = process.env.VOC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const cli = path.join(root, 'dist', 'main.js');

// ---- synthetic reviews: seeded, so every run sees the same texts ----
const WORDS = {
  en: 'the taste was great and fresh but the box arrived late with a broken seal I would buy again for my family price quality'.split(' '),
  de: 'der Geschmack war sehr gut und frisch aber die Lieferung kam spät mit kaputter Verpackung ich würde wieder kaufen Preis'.split(' '),
  fr: 'le goût était très bon et frais mais le colis est arrivé en retard avec un emballage abîmé je rachèterai pour ma famille'.split(' '),
  es: 'el sabor era muy bueno y fresco pero el paquete llegó tarde con el sello roto volvería a comprar para mi familia precio'.split(' '),
  id: 'rasanya enak dan segar tapi paketnya datang terlambat dengan segel rusak saya akan beli lagi untuk keluarga harga kualitas'.split(
    ' ',
  ),
  pt: 'o sabor estava muito bom e fresco mas a caixa chegou atrasada com o selo quebrado eu compraria de novo para minha família'.split(
    ' ',
  ),
};
const LANGS = Object.keys(WORDS);
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function sentence(rand, lang, chars) {
  const w = WORDS[lang];
  let s = '';
  while (s.length < chars) s += (s ? ' ' : '') + w[Math.floor(rand() * w.length)];
  return s;
}
function* synthetic(n) {
  const rand = rng(19);
  for (let i = 0; i < n; i++) {
    const lang = LANGS[i % LANGS.length];
    const r = rand();
    // the seed's mix: vip 8 | standard 32 | short 60 out of 100
    const chars = r < 0.08 ? 220 + Math.floor(rand() * 400) : r < 0.4 ? 60 + Math.floor(rand() * 130) : 12 + Math.floor(rand() * 34);
    yield {
      review_id: `s${i}`,
      product_id: `P${i % 500}`,
      rating: 1 + Math.floor(rand() * 5),
      title: rand() < 0.5 ? sentence(rand, lang, 10 + Math.floor(rand() * 20)) : '',
      body: sentence(rand, lang, chars),
    };
  }
}

async function fill(config, n) {
  const store = await openStore(config, { migrate: true });
  let chunk = [];
  let line = 0;
  for (const rec of synthetic(n)) {
    const r = toReview(rec, { config, file: 'scale', line: ++line });
    if (!r.ok) throw new Error(`synthetic review ${line}: ${r.field} ${r.reason}`);
    chunk.push(r.review);
    if (chunk.length === 5000) {
      await insertReviews(store, chunk, { ingestFile: 'scale' });
      chunk = [];
    }
  }
  if (chunk.length) await insertReviews(store, chunk, { ingestFile: 'scale' });
  await store.close();
}

// ---- processes ----
function startChild(args, env, onLine) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  let err = '';
  child.stdout.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      onLine?.(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  child.lastError = () => err;
  return child;
}
const exited = (child) => (child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r)));
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime in clock ticks of 10 ms
}
function memKb(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function runOne(storeKind, size, limit) {
  const home = mkdtempSync(path.join(tmpdir(), 'voc-sc-'));
  const schema = `bench_scale_${process.pid}_${Date.now().toString(36)}`;
  const dbUrl = storeKind === 'pg' ? `${PG_BASE}?schema=${schema}` : '';
  const env = {
    VOC_HOME: home,
    VOC_DATABASE_URL: dbUrl,
    VOC_QPS: String(limit),
    VOC_LLM_API_KEY: '',
    DASHSCOPE_API_KEY: '',
    OPENAI_API_KEY: '',
  };
  // learning stays off: only translation calls are measured
  writeFileSync(
    path.join(home, 'config.json'),
    JSON.stringify({ analysis: { autoLearn: false }, beat: { checkPendingTranslations: BEAT } }),
  );
  const config = loadConfig({ env });
  const out = { store: storeKind, size, limit };
  let sim, daemon;
  try {
    const t0 = performance.now();
    await fill(config, size);
    out.fillS = (performance.now() - t0) / 1000;
    let url;
    let said = '';
    const simReady = new Promise((resolve) => {
      sim = startChild([cli, 'sim', '--port', '0', '--limit', String(limit), '--latency-ms', String(LATENCY), '--json'], env, (l) => {
        said += l;
        url ??= /"url":\s*"([^"]+)"/.exec(said)?.[1];
        if (url) resolve();
      });
    });
    await simReady;
    daemon = startChild(
      [...DAEMON_FLAGS, cli, 'daemon', 'run'],
      { ...env, VOC_LLM_BASE_URL: url },
      DAEMON_OUT ? (l) => appendFileSync(DAEMON_OUT, l + '\n') : undefined,
    );
    const socket = path.join(home, 'voc.sock');
    const gone = exited(daemon).then(() => null);
    if (!(await Promise.race([waitForDaemon(socket, 60_000), gone]))) throw new Error(`daemon did not start: ${daemon.lastError()}`);
    const client = clientFor(socket);
    // what the daemon spends doing nothing (timers, heartbeat, job poll), to tell it from the cost of the calls: on
    // a loaded machine a starved daemon makes few calls a second, and this share of each grows
    await new Promise((r) => setTimeout(r, 2000));
    const idle0 = cpuMs(daemon.pid);
    await new Promise((r) => setTimeout(r, 5000));
    out.idleMsPerS = (cpuMs(daemon.pid) - idle0) / 5;
    const cpu0 = cpuMs(daemon.pid);
    const w0 = performance.now();
    const job = await client.submitJob({ kind: 'translate' });
    let last = job;
    const stop = new AbortController();
    const bound = setTimeout(() => stop.abort(), MAX_S * 1000);
    try {
      last = await client.followJob(job.id, (j) => (last = j), stop.signal);
    } catch (err) {
      if (!stop.signal.aborted) throw err;
      last = await client.getJob(job.id);
    } finally {
      clearTimeout(bound);
    }
    out.wallS = (performance.now() - w0) / 1000;
    out.cpuMs = cpuMs(daemon.pid) - cpu0;
    out.hwmMb = memKb(daemon.pid, 'VmHWM') / 1024;
    out.status = last.status;
    const r = last.result ?? {};
    out.calls = Number(r.calls ?? 0);
    out.done = Number(r.done ?? (r.translated ?? 0) + (r.skipped ?? 0) + (r.failed ?? 0));
    out.failed = Number(r.failed ?? 0);
    out.load = loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
  } finally {
    if (daemon) {
      daemon.kill('SIGTERM');
      await exited(daemon);
    }
    if (sim) {
      sim.kill('SIGTERM');
      await exited(sim);
    }
    if (storeKind === 'pg') {
      const pg = await import('pg');
      const c = new pg.default.Client({ connectionString: PG_BASE });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await c.end();
    }
    rmSync(home, { recursive: true, force: true });
  }
  return out;
}

console.log(
  `scale: sizes ${SIZES.join(', ')}; limits ${LIMITS.join(', ')}/s, latency ${LATENCY} ms; stores ${STORES.join(', ')}; each run stops after ${MAX_S} s`,
);
for (const storeKind of STORES) {
  for (const size of SIZES) {
    for (const limit of LIMITS) {
      const r = await runOne(storeKind, size, limit);
      const ideal = r.calls / limit;
      const finished = r.status === 'done' ? 'finished' : `stopped after ${MAX_S} s (${r.status})`;
      console.log(
        `${r.store.padEnd(6)} ${String(size).padStart(8)} reviews @ ${String(limit).padStart(3)}/s: ${finished}; ${r.done} reviews settled, ${r.failed} failed, ` +
          `${r.calls} calls in ${r.wallS.toFixed(1)} s = ${(r.calls / r.wallS).toFixed(1)} req/s; wall/ideal ${(r.wallS / ideal).toFixed(2)}x (ideal ${ideal.toFixed(1)} s); ` +
          `daemon CPU ${(r.cpuMs / Math.max(1, r.calls)).toFixed(2)} ms/call, ${((r.cpuMs - r.idleMsPerS * r.wallS) / Math.max(1, r.calls)).toFixed(2)} above idle (${r.idleMsPerS.toFixed(0)} ms/s); peak RSS ${r.hwmMb.toFixed(0)} MB; load ${r.load} (stored in ${r.fillS.toFixed(0)} s)`,
      );
    }
  }
}
