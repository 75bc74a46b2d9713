#!/usr/bin/env node
// How late a request reaches the wire after its permit, with every lane busy at once: a backlog of new products
// (automatic learning), `voc translate-pending`, `voc analyze --all` (insights and themes) and a large ingest, all
// started together against `voc sim` (limit 25/s, a share of malformed JSON answers so retries mix in). Four
// scenarios: one daemon (in-process throttle) and two daemons sharing Redis, each without and with a CPU-bound
// process beside them. Prints the distribution of (wire time - permit time) per daemon from `voc status --json`,
// beside the simulator's max arrivals in any 1000 ms and its 429s. This is what a margin on permit times would have
// to cover; the window counts wire times, so the margin (llm.marginMs) only covers wire-to-arrival jitter.
// BENCH_REVIEWS (default 600) reviews in the backlog, BENCH_INGEST_ROWS (default 30000) in the large ingest.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { daemons, servicesUp, startSim, voc } from './lib/daemons.mjs';

const REVIEWS = Number(process.env.BENCH_REVIEWS ?? 600);
const INGEST_ROWS = Number(process.env.BENCH_INGEST_ROWS ?? 30000);
const LIMIT = 25;
const PARTS = [
  'the strap feels solid and the buckle has not loosened',
  'delivery took longer than promised but the box was intact',
  'battery life is about half of what the listing claims',
  'support answered within a day and sent a replacement part',
];

/** Reviews of 12 products (each learned on its own), every body unique; `tag` keeps files apart. */
function csv(file, n, tag) {
  const q = (s) => `"${s.replace(/"/g, '""')}"`;
  const lines = ['review_id,product_id,rating,body'];
  for (let i = 0; i < n; i++) {
    const body = i % 3 === 0 ? `Fine ${tag} #${i}` : `Review ${tag} ${i}: ${PARTS[i % 4]}; ${PARTS[(i + 1) % 4]}.`;
    lines.push(`${q(`${tag}${i}`)},${tag}P${i % 12},${1 + (i % 5)},${q(body)}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

const work = mkdtempSync(path.join(tmpdir(), 'voc-wirew-'));
const backlog = path.join(work, 'backlog.csv');
const big = path.join(work, 'big.csv');
csv(backlog, REVIEWS, 'b');
csv(big, INGEST_ROWS, 'i');
const withRedis = await servicesUp();
const scenarios = [
  { daemons: 1, hog: false },
  { daemons: 1, hog: true },
  ...(withRedis
    ? [
        { daemons: 2, hog: false },
        { daemons: 2, hog: true },
      ]
    : []),
];
const table = [];
try {
  for (const sc of scenarios) {
    const sim = await startSim(work, ['--limit', String(LIMIT), '--malformed-rate', '0.1', '--seed', '3']);
    const cpu = sc.hog ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : null;
    const c = await daemons(sc.daemons, sim.url, 'wire');
    const last = sc.daemons - 1;
    try {
      await voc(c.homes[0], c.shared, ['ingest', backlog, '--json']);
      const t0 = Date.now();
      // every lane at once: learning runs on its own (new products), the rest is started here together
      const tr = voc(c.homes[0], c.shared, ['translate-pending', '--wait', '--json']);
      const an = voc(c.homes[last], c.shared, ['analyze', '--all', '--wait', '--json']);
      // the large ingest a moment later, so the analysis run is about the backlog's products only
      await new Promise((r) => setTimeout(r, 3000));
      await Promise.all([tr, an, voc(c.homes[last], c.shared, ['ingest', big, '--json'])]);
      const s = await sim.get('/stats');
      for (let k = 0; k < sc.daemons; k++) {
        const w = (await c.status(k))?.gateway.wireDelayMs ?? { samples: 'daemon gone', p50: NaN, p95: NaN, p99: NaN, max: NaN };
        table.push({
          daemons: sc.daemons,
          'cpu hog': sc.hog ? 'yes' : '',
          daemon: k,
          samples: w.samples,
          'p50 ms': w.p50,
          'p95 ms': w.p95,
          'p99 ms': w.p99,
          'max ms': w.max,
          max_arrivals_in_1s: s.max_arrivals_in_1s,
          '429s': s.rejected429,
          learn: s.byTask.learn ?? 0,
          'wall s': Math.round((Date.now() - t0) / 1000),
        });
        console.log(JSON.stringify(table[table.length - 1]));
      }
    } finally {
      await c.stop();
      cpu?.kill('SIGKILL');
      sim.child.kill('SIGTERM');
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(
  `wire: (wire time - permit time) with learning, translation, insights, themes and a ${INGEST_ROWS}-row ingest at once; ` +
    `${REVIEWS} reviews of 12 new products; simulator limit ${LIMIT}/s${withRedis ? '' : ' (Redis unreachable: one daemon only)'}`,
);
console.table(table);
const worst = table.reduce((m, r) => Math.max(m, r['p99 ms']), 0);
const share = (ms) => `${((ms / 1000) * 100).toFixed(1)}%`;
console.log(`worst p99 ${worst} ms: a margin that covered it on permit times would cost ${share(worst)} of the rate (margin / window)`);
