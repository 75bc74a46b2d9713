#!/usr/bin/env node
// The cap on the path a user runs: `voc ingest FILE` (defaults, automatic learning on), then
// `voc translate-pending --wait`, then `voc analyze --all --wait`, against `voc sim` (limit 25/s, latency 800 ms)
// answering a share of the JSON prompts (learning, insights, themes, batch translation) with malformed JSON, so
// retries mix with first attempts. Runs alternate one daemon (SQLite, in-process throttle) and two daemons (one
// PostgreSQL schema, one Redis window); the last two runs have a CPU-bound process beside them. Prints per run the
// simulator's max arrivals in any 1000 ms (429s included), its 429s and the sustained rate over the busy seconds
// (see busyRate).
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

/**
 * The sustained rate: arrivals per whole second over the busy seconds, those in which work was waiting all the time,
 * read as an arrival in each of the second's ten 100 ms slots (at 24 req/s a slot holds 2-3). Seconds with a gap
 * (a phase ending, a command starting the next one, the last requests of a run) measure the work, not the throttle.
 */
function busyRate(arrivals) {
  if (!arrivals.length) return { rate: 0, seconds: 0 };
  const t0 = arrivals[0].at;
  const per = new Map();
  for (const a of arrivals) {
    const ms = a.at - t0;
    const sec = Math.floor(ms / 1000);
    const s = per.get(sec) ?? { n: 0, slots: new Set() };
    s.n++;
    s.slots.add(Math.floor((ms % 1000) / 100));
    per.set(sec, s);
  }
  const busy = [...per.values()].filter((s) => s.slots.size === 10).map((s) => s.n);
  return { rate: busy.length ? busy.reduce((s, n) => s + n, 0) / busy.length : 0, seconds: busy.length, all: per.size };
}

/**
 * How much of the margin the jitter between wire and arrival used: the window keeps any LIMIT + 1 consecutive requests
 * at least 1000 + llm.marginMs ms apart on the wire, so a span of LIMIT + 1 arrivals shorter than that is jitter the
 * margin absorbed, and one under 1000 ms is over the cap. Returns the shortest span and the 1st percentile.
 */
function spans(arrivals) {
  const d = [];
  for (let k = 0; k + LIMIT < arrivals.length; k++) d.push(arrivals[k + LIMIT].at - arrivals[k].at);
  d.sort((a, b) => a - b);
  return d.length ? `${d[0]}/${d[Math.floor(d.length / 100)]}` : '?';
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

/** Exit 1 of a --json command is a summary with failed reviews (answers still malformed after the retries). */
function why(out) {
  try {
    const j = JSON.parse(out);
    return `${j.failed} of ${j.reviews ?? j.total} reviews failed`;
  } catch {
    return out.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
  }
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
        'busy req/s': busy.rate.toFixed(2),
        'busy s': `${busy.seconds}/${busy.all}`,
        malformed: s.malformed,
        '26-arrival span min/p1 ms': spans(arrivals),
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
        if (r.code !== 0) console.log(`  ${what} exited ${r.code}: ${why(r.out)}`);
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
