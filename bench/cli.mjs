#!/usr/bin/env node
// CLI start-up: `voc --version` and `voc --help` against `node -e 0` (the floor: Node's own start), timed in turn
// in the same run (A B A B ...) so machine load moves both. Prints medians, ratios and peak RSS; asserts nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
if (!existsSync(path.join(root, 'dist', 'main.js'))) {
  console.log('skipped: not built; run `npm run build` first');
  process.exit(0);
}
const gnuTime = existsSync('/usr/bin/time');

function once(args) {
  const t0 = process.hrtime.bigint();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', '__RSS_KB=%M', process.execPath, ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  const m = /__RSS_KB=(\d+)/.exec(r.stderr ?? '');
  return { secs, rssMb: m ? Number(m[1]) / 1024 : null };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cases = [
  ['node -e 0', ['-e', '0']],
  ['voc --version', [path.join(root, 'bin', 'voc'), '--version']],
  ['voc --help', [path.join(root, 'bin', 'voc'), '--help']],
];
const runs = new Map(cases.map(([name]) => [name, []]));
for (const [, args] of cases) once(args); // warm the file cache
for (let i = 0; i < RUNS; i++) for (const [name, args] of cases) runs.get(name).push(once(args));

console.log(
  `machine: ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ${RUNS} runs each, interleaved`,
);
const base = median(runs.get('node -e 0').map((r) => r.secs));
console.log('command         median s  x node -e 0  peak RSS MB  goal (issue)');
const goals = { 'voc --version': '<= 0.2 s (~1.8x)', 'voc --help': '<= 0.4 s (~3.6x)', 'node -e 0': 'baseline' };
for (const [name] of cases) {
  const rs = runs.get(name);
  const s = median(rs.map((r) => r.secs));
  const rss = rs[0].rssMb == null ? 'n/a' : median(rs.map((r) => r.rssMb)).toFixed(0);
  console.log(
    `${name.padEnd(15)} ${s.toFixed(3).padStart(8)}  ${(s / base).toFixed(2).padStart(10)}x  ${rss.padStart(11)}  ${goals[name]}`,
  );
}
console.log('\nthe goals are in seconds on an idle machine; on a loaded one read the ratio to node -e 0 (0.11 s idle)');
