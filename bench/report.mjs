#!/usr/bin/env node
// Report benchmark: 100,000 reviews of one product with insights and themes, on SQLite and PostgreSQL.
// Each format is built in a child process so its peak RSS is the report's own. Target: < 2 s and < 200 MB.
// Usage: npm run build && node bench/report.mjs [--reviews N] [--skip-sqlite] [--skip-pg] [--keep DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;
if (!existsSync(path.join(root, 'dist', 'report', 'service.js'))) {
  console.error('bench/report: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
const { loadConfig } = await import(dist('config/load.js'));
const { openStore } = await import(dist('store/db.js'));

const FORMATS = ['md', 'json', 'html'];
const PRODUCT = 'BENCH-1';

/** Child mode: build one report, print time and peak RSS as one JSON line. */
if (process.argv[2] === '--child') {
  const [format, all] = [process.argv[3], process.argv[4] === 'all'];
  const { runReport } = await import(dist('report/service.js'));
  const config = loadConfig();
  const store = await openStore(config, { migrate: false });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await runReport({ productId: all ? undefined : PRODUCT, all, format }, { store, config });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  await store.close();
  // maxRSS is in kilobytes on Linux
  console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.resourceUsage().maxRSS / 1024, bytes: r.bytes }));
  process.exit(0);
}

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--reviews', 100000);
const DIMS = [
  'battery',
  'fit',
  'sound',
  'noise cancelling',
  'case',
  'charging',
  'bluetooth',
  'comfort',
  'price',
  'packaging',
  'microphone',
  'controls',
];
const WS = {
  who: ['parents', 'students', 'runners', 'commuters'],
  what: ['music', 'calls', 'workouts'],
  when: ['morning', 'travel'],
  where: ['gym', 'office', 'train'],
  why: ['gift', 'replacement'],
};
const TYPES = ['pain_point', 'praise', 'feature_request', 'usage_scenario', 'comparison'];
const SENT = ['negative', 'positive', 'neutral'];
const MPS = ['amazon.com', 'amazon.de', 'ebay', 'aliexpress'];
const LANGS = ['en', 'de', 'fr', 'es', 'ja'];

// a cheap deterministic generator: the same data on every run and database
let seed = 12345;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const pick = (a) => a[Math.floor(rnd() * a.length)];

async function insertAll(knex, table, rows, cols) {
  // knex inserts on SQLite as one compound SELECT (at most 500 terms); PostgreSQL is bound by 65535 parameters
  const size = knex.client.config.client === 'pg' ? Math.floor(60000 / cols) : Math.min(400, Math.floor(30000 / cols));
  await knex.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += size) await trx(table).insert(rows.slice(i, i + size));
  });
}

async function seedStore(store) {
  seed = 12345;
  const k = store.knex;
  const t = Date.now();
  await k('products').insert({ id: PRODUCT, title: 'Bench earbuds', first_seen_at: t, learn_status: 'done' });
  const labels = [
    ...DIMS.map((d) => ({ kind: 'dimension', name: d })),
    ...Object.entries(WS).flatMap(([w, names]) => names.map((name) => ({ kind: w, name }))),
  ];
  await insertAll(
    k,
    'product_labels',
    labels.map((l) => ({ product_id: PRODUCT, kind: l.kind, name: l.name, name_zh: `${l.name}-zh`, learned_at: t })),
    6,
  );
  const labelRows = await k('product_labels').where('product_id', PRODUCT).select('id', 'kind', 'name');
  const byW = {};
  for (const l of labelRows) (byW[l.kind] ??= []).push(l.id);
  const start = Date.parse('2023-01-01T00:00:00Z');
  for (let base = 0; base < N; base += 10000) {
    const n = Math.min(10000, N - base);
    const reviews = [];
    for (let i = base; i < base + n; i++) {
      const body = `Review ${i}: ${'solid sound, decent battery and a snug fit. '.repeat(1 + (i % 4))}`;
      reviews.push({
        source_key: `bench|${i}`,
        review_id: String(i),
        product_id: PRODUCT,
        marketplace: pick(MPS),
        rating: 1 + Math.floor(rnd() * 5),
        body,
        body_hash: `h${i}`,
        review_date: new Date(start + Math.floor(rnd() * 730) * 86400000).toISOString().slice(0, 10),
        language: pick(LANGS),
        class: 'standard',
        body_len: body.length,
        created_at: t,
        tr_status: rnd() < 0.9 ? 'done' : 'pending',
        ins_status: 'done',
        thm_status: 'done',
        body_zh: '译文',
      });
    }
    await insertAll(k, 'reviews', reviews, 16);
    // one writer in one transaction: the chunk's ids are consecutive
    const first = Number((await k('reviews').where('source_key', `bench|${base}`).first('id')).id);
    const insights = [];
    const themes = [];
    for (let j = 0; j < n; j++) {
      const rid = first + j;
      for (let m = 0; m < 4; m++) {
        const dim = pick(DIMS);
        const type = pick(TYPES);
        const s = type === 'pain_point' ? 'negative' : type === 'praise' ? 'positive' : pick(SENT);
        const g = Math.floor(rnd() * 40);
        insights.push({
          review_id: rid,
          product_id: PRODUCT,
          type,
          dimension: dim,
          sentiment: s,
          quote: `the ${dim} ${'is really something '.repeat(1 + (g % 5))}#${g}`,
          summary_zh: `${dim}问题${g}`,
          created_at: t,
        });
      }
      for (const w of ['who', 'what', 'why'])
        themes.push({
          review_id: rid,
          product_id: PRODUCT,
          w,
          tag: `${w}-tag`,
          label_id: rnd() < 0.85 ? pick(byW[w]) : null,
          created_at: t,
        });
    }
    await insertAll(k, 'insights', insights, 8);
    await insertAll(k, 'themes', themes, 6);
  }
  const usage = Array.from({ length: 5000 }, (_, i) => ({
    ts: t + i,
    lane: 'translation',
    product_id: PRODUCT,
    model: 'qwen-flash',
    prompt_tokens: 800,
    completion_tokens: 400,
    cost: 0.0007,
    status: 'ok',
  }));
  await insertAll(k, 'llm_usage', usage, 8);
}

function child(env, format, all) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', format, all ? 'all' : 'one'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function runOn(name, env) {
  const config = loadConfig({ env });
  const store = await openStore(config);
  const t0 = performance.now();
  await seedStore(store);
  const seedMs = performance.now() - t0;
  await store.close();
  console.log(
    `\n${name}: ${N.toLocaleString('en-US')} reviews, ${(N * 4).toLocaleString('en-US')} insights, ${(N * 3).toLocaleString('en-US')} themes (seeded in ${(seedMs / 1000).toFixed(1)} s)`,
  );
  // CPU time is this process's own (SQLite runs in it; PostgreSQL's work is in the server): it shows how much
  // of the wall time was waiting for a busy machine
  console.log('  format   time     cpu      peak RSS   size');
  const rows = [];
  for (const [format, all] of [...FORMATS.map((f) => [f, false]), ['md', true]]) {
    const r = child(env, format, all);
    const ok = r.ms < 2000 && r.rssMb < 200 ? 'ok' : 'OVER TARGET';
    rows.push(r);
    console.log(
      `  ${(all ? `${format} --all` : format).padEnd(8)} ${(r.ms / 1000).toFixed(2).padStart(5)} s  ${(r.cpuMs / 1000).toFixed(2).padStart(5)} s  ${r.rssMb.toFixed(0).padStart(5)} MB  ${(r.bytes / 1024).toFixed(0).padStart(5)} KB  ${ok}`,
    );
  }
  return rows;
}

// --keep DIR leaves the seeded SQLite store in DIR for profiling
const keep = process.argv.includes('--keep') ? path.resolve(process.argv[process.argv.indexOf('--keep') + 1]) : null;
const home = keep ?? mkdtempSync(path.join(tmpdir(), 'voc-bench-report-'));
try {
  if (!process.argv.includes('--skip-sqlite')) await runOn('SQLite', { VOC_HOME: home });
  const pgBase = process.env.VOC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (!process.argv.includes('--skip-pg')) {
    const pg = (await import('pg')).default;
    const schema = `voc_bench_report_${process.pid}`;
    const u = new URL(pgBase);
    u.searchParams.set('schema', schema);
    const c = new pg.Client({ connectionString: pgBase });
    try {
      await c.connect();
    } catch (err) {
      console.log(`\nPostgreSQL not reachable (${err.message}): skipped`);
    }
    if (c._connected) {
      try {
        await runOn('PostgreSQL', { VOC_HOME: home, VOC_DATABASE_URL: u.toString() });
      } finally {
        if (keep) console.log(`kept PostgreSQL schema: ${u.toString()}`);
        else await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await c.end();
      }
    }
  }
  console.log('\ntarget: < 2 s and < 200 MB per report');
} finally {
  if (!keep) rmSync(home, { recursive: true, force: true });
}
