#!/usr/bin/env node
// The cap on the path a user runs: `voc ingest FILE` (defaults, automatic learning on), then
// `voc translate-pending --wait`, then `voc analyze --all --wait`, against `voc sim` (limit 25/s, latency 800 ms)
// answering a share of the JSON prompts (learning, insights, themes, batch translation) with malformed JSON, so
// retries mix with first attempts. Runs alternate one daemon (SQLite, in-process throttle) and two daemons (one
// PostgreSQL schema, one Redis window); the last two runs have a CPU-bound process beside them. Prints per run the
// simulator's max arrivals in any 1000 ms (429s included), its 429s and the sustained rate over the busy seconds.
// Usage: npm run bench -- cap <reviews file> [runs]   (or CAP_DATA / CAP_RUNS; CAP_MALFORMED, default 0.15)
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { daemons, servicesUp, startSim, voc } from './lib/daemons.mjs';

const data = process.argv[2] ?? process.env.CAP_DATA;
const RUNS = Number(process.argv[3] ?? process.env.CAP_RUNS ?? 10);
const MALFORMED = Number(process.env.CAP_MALFORMED ?? 0.15);
const LIMIT = 25;
if (!data) {
  console.log('cap: give a reviews file: npm run bench -- cap <reviews.csv> [runs]');
  process.exit(0);
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

/** The first window of over LIMIT arrivals, as gaps between them (ms) and their tasks: bunching shows up as 0-2 ms gaps. */
function worstWindow(arrivals) {
  for (let i = 0, j = 0; j < arrivals.length; j++) {
    while (arrivals[j].at - arrivals[i].at >= 1000) i++;
    if (j - i + 1 > LIMIT) {
      const w = arrivals.slice(i, j + 1);
      return w.map((a, k) => `${k ? a.at - w[k - 1].at : 0}${a.task[0]}${a.status === 429 ? '!' : ''}`).join(' ');
    }
  }
  return 'none in the last arrivals kept';
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
    const sim = await startSim(work, [
      '--limit',
      String(LIMIT),
      '--malformed-rate',
      String(MALFORMED),
      '--seed',
      String(Date.now() % 100000),
    ]);
    const cpu = hog ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : null;
    const c = await daemons(n, sim.url, 'cap');
    const t0 = Date.now();
    try {
      const ing = await voc(c.homes[0], c.shared, ['ingest', file, '--json']);
      const tr = await voc(c.homes[0], c.shared, ['translate-pending', '--wait', '--json']);
      const an = await voc(c.homes[n - 1], c.shared, ['analyze', '--all', '--wait', '--json']);
      const s = await sim.get('/stats');
      const arrivals = await sim.get('/arrivals');
      const busy = busyRate(arrivals);
      const wire = (await Promise.all(c.homes.map((_, k) => c.status(k)))).map((st) => st?.gateway.wireDelayMs ?? { p99: '?', max: '?' });
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
        'wire-permit p99/max ms': wire.map((w) => `${w.p99}/${w.max}`).join(' '),
        'sim loop delay p99/max ms': s.loopDelayMs ? `${s.loopDelayMs.p99}/${s.loopDelayMs.max}` : '?',
        learn: s.byTask.learn ?? 0,
        exits: `${ing.code}/${tr.code}/${an.code}`,
        'wall s': Math.round((Date.now() - t0) / 1000),
      });
      console.log(JSON.stringify(table[table.length - 1]));
      if (s.max_arrivals_in_1s > LIMIT) console.log(`  worst window: ${worstWindow(arrivals)}`);
      for (const [what, r] of [
        ['ingest', ing],
        ['translate-pending', tr],
        ['analyze', an],
      ])
        if (r.code !== 0) console.log(`  ${what} exited ${r.code}: ${r.out.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`);
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
  `cap: ${path.basename(data)}, simulator limit ${LIMIT}/s, malformed share ${MALFORMED}${hasServices ? '' : ' (PostgreSQL/Redis unreachable: one daemon only)'}`,
);
console.table(table);
const worst = table.reduce((m, r) => Math.max(m, r.max_arrivals_in_1s), 0);
console.log(`worst max_arrivals_in_1s ${worst} (cap ${LIMIT}), 429s in total ${table.reduce((s, r) => s + r['429s'], 0)}`);
