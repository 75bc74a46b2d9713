#!/usr/bin/env node
// Ingest throughput and memory: `voc ingest` of a 200,000-row CSV built from the Fine Foods dev set (fresh ids),
// on SQLite and on PostgreSQL, through the daemon (the default) and with --direct, against the bulk loader of each
// (sqlite3 .import, psql \copy) into a plain table.
// Prints figures and ratios; asserts nothing. BENCH_ROWS changes the row count.
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir, cpus } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// BENCH_SOURCE names another Fine Foods-shaped CSV (a checkout outside the usual layout)
const source = process.env.BENCH_SOURCE ?? path.resolve(root, '..', 'shared', 'data', 'finefoods-dev.csv');
const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const PG_BASE = process.env.VOC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const COLUMNS = 'review_id text, product_id text, rating text, title text, body text, review_date text, author text';

if (!existsSync(source)) {
  console.log(`skipped: ${source} is absent`);
  process.exit(0);
}
if (!existsSync(path.join(root, 'dist', 'main.js'))) {
  console.log('skipped: not built; run `npm run build` first');
  process.exit(0);
}

const work = mkdtempSync(path.join(tmpdir(), 'voc-bench-ingest-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Repeat the dev rows with a round prefix on the id until ROWS rows (one record per line in this file). */
async function buildCsv(file) {
  const lines = [];
  const rl = readline.createInterface({ input: createReadStream(source), crlfDelay: Infinity });
  for await (const line of rl) lines.push(line);
  const [header, ...rows] = lines;
  const out = createWriteStream(file);
  const write = (s) => (out.write(s) ? null : new Promise((r) => out.once('drain', r)));
  await write(header + '\n');
  for (let i = 0; i < ROWS; i++) {
    const round = Math.floor(i / rows.length);
    const row = rows[i % rows.length];
    const p = write(`${round}-${row}\n`); // review_id is the first, unquoted column
    if (p) await p;
  }
  await new Promise((r) => out.end(r));
}

/** Wall time and peak RSS of a child process, from GNU time when present, else from process.resourceUsage. */
function measure(cmd, args, opts = {}) {
  const gnuTime = existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', '__RSS_KB=%M __CPU=%U+%S', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').slice(-500)}`);
  const m = /__RSS_KB=(\d+) __CPU=([\d.]+)\+([\d.]+)/.exec(r.stderr ?? '');
  // CPU seconds of the client process: steadier than wall time on a busy machine (server time is not in it)
  return { secs, rssMb: m ? Number(m[1]) / 1024 : null, cpu: m ? Number(m[2]) + Number(m[3]) : null, stdout: r.stdout, stderr: r.stderr };
}

function voc(env, args) {
  return measure(process.execPath, [path.join(root, 'bin', 'voc'), ...args], { env: { ...process.env, ...env } });
}

function vocIngest(env, file, extra = []) {
  const r = voc(env, ['ingest', '--json', ...extra, file]);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ...r, summary };
}

/** Peak RSS of a running process (the daemon), from /proc; null where /proc is absent. */
function peakRssMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The default path: a daemon started beforehand (its start-up is not ingest time), `voc ingest` posting chunks to
 * its ingestion lane, then a re-ingest of the same file. Reports the client's figures and the daemon's peak RSS.
 */
function throughDaemon(env, file) {
  voc(env, ['daemon', 'start', '--json']);
  try {
    const run = vocIngest(env, file);
    const again = vocIngest(env, file);
    const pid = Number(readFileSync(path.join(env.VOC_HOME, 'daemon.pid'), 'utf8').trim());
    return { run, again, daemonRssMb: peakRssMb(pid) };
  } catch (err) {
    const log = path.join(env.VOC_HOME, 'daemon.log');
    if (existsSync(log)) console.log(`daemon log (tail):\n${readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')}`);
    throw err;
  } finally {
    voc(env, ['daemon', 'stop', '--json']);
  }
}

/**
 * The same with the daemon's automatic follow-up work off (learning new products, the beat's translation check),
 * so the ingestion lane's own cost shows apart from the work an ingest triggers.
 */
function throughQuietDaemon(env, file) {
  mkdirSync(env.VOC_HOME, { recursive: true });
  writeFileSync(
    path.join(env.VOC_HOME, 'config.json'),
    JSON.stringify({ analysis: { autoLearn: false }, beat: { checkPendingTranslations: false } }),
  );
  return throughDaemon(env, file);
}

/** --direct: the CLI writes to the store itself, no daemon. */
function direct(env, file) {
  const run = vocIngest(env, file, ['--direct']);
  const again = vocIngest(env, file, ['--direct']);
  return { run, again, daemonRssMb: null };
}

const fmt = (n, d = 0) => (n == null ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const results = [];

const csv = path.join(work, 'reviews-200k.csv');
let t = Date.now();
await buildCsv(csv);
console.log(
  `machine: ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (wall times stretch under load)`,
);
console.log(`built ${fmt(ROWS)} rows (${fmt(statSync(csv).size / 1048576, 1)} MB) in ${fmt((Date.now() - t) / 1000, 1)} s`);

// --- SQLite ---
{
  const db = path.join(work, 'plain.db');
  const haveSqlite3 = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;
  if (!haveSqlite3) console.log('sqlite3 is not installed (Debian: apt-get install sqlite3): the SQLite baseline and ratios are skipped');
  const base = haveSqlite3
    ? measure('sqlite3', [db, `CREATE TABLE plain (${COLUMNS});`, '.mode csv', `.import --skip 1 ${csv} plain`])
    : null;
  const viaDaemon = throughDaemon({ VOC_HOME: path.join(work, 'home-sqlite-daemon'), VOC_DATABASE_URL: '' }, csv);
  const viaQuiet = throughQuietDaemon({ VOC_HOME: path.join(work, 'home-sqlite-quiet'), VOC_DATABASE_URL: '' }, csv);
  const viaDirect = direct({ VOC_HOME: path.join(work, 'home-sqlite-direct'), VOC_DATABASE_URL: '' }, csv);
  results.push({ store: 'SQLite', path: 'daemon', ...viaDaemon, base, baseName: 'sqlite3 .import' });
  results.push({ store: 'SQLite', path: 'quiet', ...viaQuiet, base, baseName: 'sqlite3 .import' });
  results.push({ store: 'SQLite', path: '--direct', ...viaDirect, base, baseName: 'sqlite3 .import' });
}

// --- PostgreSQL ---
const pgUp = spawnSync('psql', [PG_BASE, '-tAc', 'select 1'], { encoding: 'utf8' }).status === 0;
if (!pgUp) console.log(`PostgreSQL not reachable at ${PG_BASE}: skipped`);
else {
  const schemas = ['plain', 'daemon', 'quiet', 'direct'].map((k) => `voc_bench_${k}_${randomBytes(4).toString('hex')}`);
  const pgUrl = (schema) => {
    const url = new URL(PG_BASE);
    url.searchParams.set('schema', schema);
    return url.toString();
  };
  try {
    spawnSync('psql', [PG_BASE, '-qc', `CREATE SCHEMA ${schemas[0]}; CREATE TABLE ${schemas[0]}.plain (${COLUMNS})`]);
    const base = measure('psql', [PG_BASE, '-qc', `\\copy ${schemas[0]}.plain FROM '${csv}' WITH (FORMAT csv, HEADER true)`]);
    const viaDaemon = throughDaemon({ VOC_HOME: path.join(work, 'home-pg-daemon'), VOC_DATABASE_URL: pgUrl(schemas[1]) }, csv);
    const viaQuiet = throughQuietDaemon({ VOC_HOME: path.join(work, 'home-pg-quiet'), VOC_DATABASE_URL: pgUrl(schemas[2]) }, csv);
    const viaDirect = direct({ VOC_HOME: path.join(work, 'home-pg-direct'), VOC_DATABASE_URL: pgUrl(schemas[3]) }, csv);
    results.push({ store: 'PostgreSQL', path: 'daemon', ...viaDaemon, base, baseName: 'psql \\copy' });
    results.push({ store: 'PostgreSQL', path: 'quiet', ...viaQuiet, base, baseName: 'psql \\copy' });
    results.push({ store: 'PostgreSQL', path: '--direct', ...viaDirect, base, baseName: 'psql \\copy' });
  } finally {
    for (const s of schemas) spawnSync('psql', [PG_BASE, '-qc', `DROP SCHEMA IF EXISTS ${s} CASCADE`]);
  }
}

console.log('');
const GOALS = {
  'SQLite daemon': '<= 4x',
  'SQLite quiet': '<= 4x',
  'SQLite --direct': '<= 4x',
  'PostgreSQL daemon': '<= 3x',
  'PostgreSQL quiet': '<= 3x',
  'PostgreSQL --direct': '<= 2x',
};
console.log(
  'store       path      voc ingest rows/s  voc s  client CPU s  client RSS MB  daemon RSS MB  inserted  re-ingest s  baseline           baseline s  voc/baseline  goal',
);
for (const r of results) {
  console.log(
    [
      r.store.padEnd(10),
      r.path.padEnd(9),
      fmt(ROWS / r.run.secs).padStart(18),
      fmt(r.run.secs, 2).padStart(6),
      fmt(r.run.cpu, 1).padStart(13),
      fmt(r.run.rssMb, 0).padStart(14),
      fmt(r.daemonRssMb, 0).padStart(14),
      fmt(r.run.summary.inserted).padStart(9),
      fmt(r.again.secs, 1).padStart(12),
      ' ' + r.baseName.padEnd(16),
      fmt(r.base?.secs, 2).padStart(11),
      (r.base ? `${fmt(r.run.secs / r.base.secs, 1)}x` : 'n/a').padStart(13),
      ` ${GOALS[`${r.store} ${r.path}`]}`,
    ].join(' '),
  );
}
console.log('\npaths: daemon = `voc ingest` through the daemon (the default); quiet = the same with auto-learn and the');
console.log("beat's translation check off (the ingestion lane alone); --direct = the CLI writes to the store itself");
console.log('\ngoals (issue): PostgreSQL <= 3x \\copy through the daemon, <= 2x with --direct; SQLite <= 4x .import; client RSS <= 200 MB');
