#!/usr/bin/env node
// CPU cost of the live status screen: `voc status` runs in a tmux pane at 80x24 (it needs a terminal) while
// the daemon translates real reviews through the simulated LLM at its 25 QPS cap. Prints the CPU share of a
// core used by the screen over the window (target: < 5%), by the daemon with the screen attached, and by the
// daemon in a window without any screen (so the stats stream's own cost shows as the difference).
// Usage: npm run build && node bench/status.mjs [--seconds 20]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('--seconds', 20);
if (!existsSync(path.join(root, 'dist', 'commands', 'status.js'))) {
  console.error('bench/status: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
if (spawnSync('tmux', ['-V']).status !== 0) {
  console.error('bench/status: tmux is needed to give `voc status` a terminal');
  process.exit(1);
}
const data = [path.resolve(root, '..', 'shared', 'data', 'finefoods-dev.csv'), path.join(root, 'samples', 'demo-reviews.csv')].find(
  existsSync,
);

const home = mkdtempSync(path.join(tmpdir(), 'voc-bst-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VOC_|DASHSCOPE_|OPENAI_)/.test(k)));
Object.assign(env, { VOC_HOME: home });
const voc = (...args) =>
  execFileSync(process.execPath, [path.join(root, 'bin', 'voc'), ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const tmuxSock = `voc-bench-status-${process.pid}`;
const tmux = (...args) => execFileSync('tmux', ['-L', tmuxSock, ...args], { encoding: 'utf8' });

const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
/** user + system CPU seconds of one process so far (/proc/PID/stat fields 14 and 15) */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, what, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
async function measure(pids, seconds) {
  const t0 = process.hrtime.bigint();
  const c0 = pids.map(cpuSeconds);
  await sleep(seconds * 1000);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return pids.map((p, i) => (100 * (cpuSeconds(p) - c0[i])) / wall);
}

try {
  voc('daemon', 'start');
  const daemonPid = JSON.parse(voc('daemon', 'status', '--json')).pid;
  console.log(`daemon pid ${daemonPid}, home ${home}`);
  console.log(`ingesting ${path.basename(data)} ...`);
  voc('ingest', data);
  voc('translate-pending');
  const stats = () => JSON.parse(voc('status', '--json'));
  await until(() => stats().lanes.translation.active > 0, 'the translation run to start');

  tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-s',
    'status',
    '-x',
    '80',
    '-y',
    '24',
    `env VOC_HOME='${home}' TERM=xterm-256color '${process.execPath}' '${path.join(root, 'bin', 'voc')}' status`,
  );
  const panePid = Number(tmux('list-panes', '-t', 'status', '-F', '#{pane_pid}').trim());
  // the pane's shell may exec node or run it as a child: take the node process either way
  const statusPid = await until(() => {
    if (readFileSync(`/proc/${panePid}/comm`, 'utf8').trim() === 'node') return panePid;
    const kid = spawnSync('pgrep', ['-P', String(panePid), 'node'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')[0];
    return kid ? Number(kid) : 0;
  }, 'the status process');
  await until(() => tmux('capture-pane', '-p', '-t', 'status').includes('Backlog'), 'the first frame');

  const before = stats();
  const [screenPct, daemonWithPct] = await measure([statusPid, daemonPid], SECONDS);
  const after = stats();
  const done = after.lanes.translation.done - before.lanes.translation.done;
  console.log(tmux('capture-pane', '-p', '-t', 'status'));
  tmux('send-keys', '-t', 'status', 'q');
  await until(() => !existsSync(`/proc/${statusPid}`), 'the screen to quit', 10_000);
  const [daemonAlonePct] = await measure([daemonPid], Math.max(5, SECONDS / 2));
  const busy = stats().lanes.translation;

  console.log(
    `window ${SECONDS}s, translation done in it: ${done} reviews, gateway ${before.gateway.window}->${after.gateway.window} req/s, still queued ${busy.queued}`,
  );
  console.log(`voc status (screen) CPU: ${screenPct.toFixed(2)}% of a core  (target < 5%: ${screenPct < 5 ? 'met' : 'NOT met'})`);
  console.log(`daemon CPU with the screen attached: ${daemonWithPct.toFixed(2)}% of a core`);
  console.log(
    `daemon CPU without a screen:         ${daemonAlonePct.toFixed(2)}% of a core (the load changes as the run drains; compare loosely)`,
  );
} finally {
  try {
    // usually gone already: the session ends when the screen quits
    execFileSync('tmux', ['-L', tmuxSock, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // the session is gone already
  }
  try {
    voc('daemon', 'stop');
  } catch {
    // no daemon left to stop
  }
  rmSync(home, { recursive: true, force: true });
}
