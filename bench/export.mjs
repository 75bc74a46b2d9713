#!/usr/bin/env node
// Export benchmark: peak RSS and time of `voc export` for 10,000 and 100,000 translated reviews with insights
// and themes (SQLite). Each export runs in its own child process so its peak RSS is the export's own. The CSV
// export of the same rows in the same run is the baseline: the xlsx writer should stay flat like it.
// Usage: npm run build && node bench/export.mjs [--reviews N] [--keep DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;
if (!existsSync(path.join(root, 'dist', 'export', 'xlsx.js'))) {
  console.error('bench/export: dist/ is missing or old; run `npm run build` first');
  process.exit(1);
}
const { loadConfig } = await import(dist('config/load.js'));
const { openStore } = await import(dist('store/db.js'));

/** Child mode: one export to a file, then time and peak RSS as one JSON line. */
if (process.argv[2] === '--child') {
  const [format, scope, out, table] = process.argv.slice(3);
  const { runExport } = await import(dist('commands/export.js'));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const opts = { format, out, ...(scope === 'all' ? { all: true } : { product: scope }), ...(table ? { [table]: true } : {}) };
  const rows = await runExport(opts, { config: loadConfig() });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  // maxRSS is in kilobytes on Linux
  console.log(
    JSON.stringify({
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rows,
      rssMb: process.resourceUsage().maxRSS / 1024,
      bytes: statSync(out).size,
    }),
  );
  process.exit(0);
}

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--reviews', 100000);
const SMALL = Math.min(10000, N);

let seed = 4242;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const pick = (a) => a[Math.floor(rnd() * a.length)];
const ZH = [
  '电池续航很长，音质清晰，佩戴舒适。',
  '充电盒有点大，放口袋不方便。',
  '降噪效果一般，地铁上还是能听到噪音。',
  '性价比高，推荐给家人。',
];

async function insertAll(knex, table, rows, cols) {
  const size = Math.min(400, Math.floor(30000 / cols));
  await knex.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += size) await trx(table).insert(rows.slice(i, i + size));
  });
}

/** The first SMALL reviews belong to product S, the rest to L: `--product S` is the 10k export, `--all` the N one. */
async function seedStore(store) {
  const k = store.knex;
  const t = Date.now();
  await k('products').insert([
    { id: 'S', title: '小号耳机', first_seen_at: t },
    { id: 'L', title: 'Large', first_seen_at: t },
  ]);
  const start = Date.parse('2023-01-01T00:00:00Z');
  for (let base = 0; base < N; base += 10000) {
    const n = Math.min(10000, N - base);
    const reviews = [];
    for (let i = base; i < base + n; i++) {
      const body = `Review ${i}: ${'solid sound, decent battery and a snug fit. '.repeat(1 + (i % 8))}`;
      reviews.push({
        source_key: `bench|${i}`,
        review_id: String(i),
        product_id: i < SMALL ? 'S' : 'L',
        marketplace: 'amazon',
        rating: 1 + Math.floor(rnd() * 5),
        title: `Title ${i}`,
        body,
        body_hash: `h${i}`,
        review_date: new Date(start + Math.floor(rnd() * 730) * 86400000).toISOString().slice(0, 10),
        language: 'en',
        class: 'standard',
        body_len: body.length,
        created_at: t,
        tr_status: 'done',
        ins_status: 'done',
        thm_status: 'done',
        title_zh: `标题${i}`,
        body_zh: `第${i}条：${pick(ZH)}${pick(ZH)}`,
      });
    }
    await insertAll(k, 'reviews', reviews, 18);
    const first = Number((await k('reviews').where('source_key', `bench|${base}`).first('id')).id);
    const insights = [];
    const themes = [];
    for (let j = 0; j < n; j++) {
      const product = base + j < SMALL ? 'S' : 'L';
      for (let m = 0; m < 2; m++) {
        insights.push({
          review_id: first + j,
          product_id: product,
          type: 'pain_point',
          dimension: pick(['battery', 'fit', 'sound']),
          sentiment: 'negative',
          quote: 'the battery is really something',
          summary_zh: '电池问题',
          created_at: t,
        });
        themes.push({
          review_id: first + j,
          product_id: product,
          w: pick(['who', 'what', 'why']),
          tag: 'commuters',
          label_id: null,
          created_at: t,
        });
      }
    }
    await insertAll(k, 'insights', insights, 8);
    await insertAll(k, 'themes', themes, 6);
  }
}

function child(env, format, scope, out, table = '') {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', format, scope, out, table], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const keep = process.argv.includes('--keep') ? path.resolve(process.argv[process.argv.indexOf('--keep') + 1]) : null;
const home = keep ?? mkdtempSync(path.join(tmpdir(), 'voc-bench-export-'));
try {
  const env = { VOC_HOME: home };
  const store = await openStore(loadConfig({ env }));
  const t0 = performance.now();
  await seedStore(store);
  await store.close();
  console.log(
    `SQLite: ${N.toLocaleString('en-US')} translated reviews, ${(2 * N).toLocaleString('en-US')} insights, ${(2 * N).toLocaleString('en-US')} themes (seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  // CPU time is the child's own: on a busy machine it shows how much of the wall time was waiting for a core
  console.log('  export                    rows      time      cpu   peak RSS    size   RSS vs CSV');
  const peak = {};
  for (const [label, scope] of [
    [SMALL.toLocaleString('en-US'), 'S'],
    [N.toLocaleString('en-US'), 'all'],
  ]) {
    const csv = child(env, 'csv', scope, path.join(home, 'out.csv'));
    for (const [name, format, table] of [
      ['csv', 'csv'],
      ['xlsx', 'xlsx'],
      ['xlsx --insights', 'xlsx', 'insights'],
    ]) {
      const r = name === 'csv' ? csv : child(env, format, scope, path.join(home, `out.${format}`), table);
      peak[`${name}@${scope}`] = r.rssMb;
      const line = `  ${`${name} ${label}`.padEnd(24)} ${r.rows.toLocaleString('en-US').padStart(7)}  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${(r.cpuMs / 1000).toFixed(1).padStart(6)} s  ${r.rssMb.toFixed(0).padStart(6)} MB  ${(r.bytes / 1048576).toFixed(1).padStart(5)} MB  ${(r.rssMb / csv.rssMb).toFixed(2).padStart(6)}x`;
      console.log(line);
    }
  }
  const flat = (name) => `${name}: ${(peak[`${name}@all`] / peak[`${name}@S`]).toFixed(2)}x`;
  console.log(
    `\npeak RSS at ${N.toLocaleString('en-US')} vs ${SMALL.toLocaleString('en-US')} reviews (1.00x = flat): ${['csv', 'xlsx', 'xlsx --insights'].map(flat).join(', ')}`,
  );
} finally {
  if (!keep) rmSync(home, { recursive: true, force: true });
}
