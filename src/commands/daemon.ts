import v8 from 'node:v8';
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { DaemonUnavailableError, VocError } from '../errors.js';
import { startDaemon, type Daemon, type StartOptions } from '../daemon/daemon.js';
import { clientFor, startInBackground } from '../daemon/client.js';
import { homePaths, processAlive } from '../daemon/lifecycle.js';
import type { DependencyCheck, HealthChecks } from '../daemon/health.js';
import { sleep } from '../abort.js';

export interface DaemonStatus {
  running: true;
  id: string;
  pid: number;
  version: string;
  uptimeSec: number;
  socket: string;
  store: string;
  redis: string | null;
  simulated: boolean;
  log: string;
  /** what `GET /health` reports: store, Redis, provider */
  health: HealthChecks | null;
}

/**
 * V8 sizes its heap for a machine's memory, not for a daemon's live data: translating at 200 requests/s it let ~130 MB
 * of live objects grow to 530 MB of heap between full collections (peak RSS 681 MB). Growing the heap by a set share
 * past the live size keeps the peak flat (182 MB) for about 10% more CPU per call. At 30% the full collections'
 * concurrent marking took 9 s of helper-thread CPU on 100,000 reviews; 60% took 7 s for a few MB more at the peak.
 * A flag given to node wins.
 */
function limitHeapGrowth(percent: number): void {
  if (percent <= 0 || [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('heap-growing-percent'))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/** `voc daemon run`: in the foreground until SIGTERM/SIGINT (a second signal forces), or /shutdown. */
export async function runDaemonRun(
  config: Config,
  o: { background?: boolean; log?: 'stdout' | 'file'; services?: StartOptions['services'] } = {},
): Promise<void> {
  limitHeapGrowth(config.daemon.heapGrowthPercent);
  const d: Daemon = await startDaemon(config, { log: o.background ? 'file' : (o.log ?? 'stdout'), services: o.services });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      d.ctx.log.warn('daemon_forced', { signal: sig });
      process.exit(130);
    }
    d.ctx.log.info('signal', { signal: sig });
    void d.close();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await d.closed;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
}

export async function runDaemonStatus(config: Config): Promise<DaemonStatus> {
  const p = homePaths(config.home);
  const client = clientFor(p.socket);
  let h;
  try {
    h = await client.health();
  } catch (err) {
    if (err instanceof DaemonUnavailableError) throw new DaemonUnavailableError(`no daemon is running for ${config.home}`);
    throw err;
  }
  const s = await client.stats();
  return {
    running: true,
    id: h.id,
    pid: h.pid,
    version: h.version,
    uptimeSec: s.daemon.uptimeSec,
    socket: p.socket,
    store: s.daemon.store,
    redis: s.daemon.redis,
    simulated: h.simulated,
    log: p.log,
    health: h.checks ?? null,
  };
}

function healthLines(h: HealthChecks): string[] {
  const dep = (c: DependencyCheck | null) => (c === null ? 'not configured' : c.ok ? `ok (${c.ms} ms)` : `DOWN: ${c.error}`);
  const p = h.provider;
  const provider =
    p.state === 'held'
      ? 'calls HELD (shared throttle unreachable)'
      : p.state === 'failing'
        ? `FAILING (${p.consecutiveErrors} errors in a row, last HTTP ${p.lastStatus})`
        : 'ok';
  return [`health ${h.status}: store ${dep(h.store)}, redis ${dep(h.redis)}, provider ${provider}`];
}

/** Start in the background and return once it answers; a running daemon is reported, not doubled. */
export async function runDaemonStart(
  config: Config,
  o: { configFile?: string; timeoutMs?: number } = {},
): Promise<{ pid: number; socket: string; log: string }> {
  const p = homePaths(config.home);
  try {
    const h = await clientFor(p.socket).health();
    throw new VocError('DAEMON_RUNNING', `a daemon already runs for ${config.home} (pid ${h.pid}, socket ${p.socket})`, {
      hint: 'stop it with `voc daemon stop`',
    });
  } catch (err) {
    if (!(err instanceof DaemonUnavailableError)) throw err;
  }
  const h = await startInBackground(config, { configFile: o.configFile, timeoutMs: o.timeoutMs });
  return { pid: h.pid, socket: p.socket, log: p.log };
}

/** Ask for a graceful stop and wait until the process is gone. */
export async function runDaemonStop(config: Config, o: { timeoutMs?: number } = {}): Promise<{ stopped: boolean; pid: number | null }> {
  const client = clientFor(homePaths(config.home).socket);
  let pid: number;
  try {
    pid = (await client.health()).pid;
    await client.shutdown();
  } catch (err) {
    if (err instanceof DaemonUnavailableError) return { stopped: false, pid: null };
    throw err;
  }
  const end = Date.now() + (o.timeoutMs ?? config.daemon.shutdownTimeoutMs + 10_000);
  while (processAlive(pid)) {
    if (Date.now() > end)
      throw new VocError('DAEMON_STOP', `the daemon (pid ${pid}) is still draining`, { hint: `kill -TERM ${pid} twice forces it` });
    await sleep(50);
  }
  return { stopped: true, pid };
}

export function registerDaemon(program: Command): void {
  const daemon = program.command('daemon').description('the background daemon: lanes, pools, beat and the socket the CLI talks to');
  daemon
    .command('start')
    .description('start the daemon in the background; returns when it answers')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const r = await runDaemonStart(configFor(cmd), { configFile: globals(cmd).config });
      if (opts.json) printJson(r);
      else process.stdout.write(`daemon started (pid ${r.pid}, socket ${r.socket}, log ${r.log})\n`);
    });
  daemon
    .command('stop')
    .description('stop the daemon gracefully (in-flight work finishes or is released)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const r = await runDaemonStop(configFor(cmd));
      if (opts.json) printJson(r);
      else process.stdout.write(r.stopped ? `daemon stopped (pid ${r.pid})\n` : 'no daemon is running\n');
    });
  daemon
    .command('status')
    .description('id, pid, uptime, socket and store of the running daemon (exit 2 when none runs)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const s = await runDaemonStatus(configFor(cmd));
      if (opts.json) return printJson(s);
      const lines = [
        `daemon ${s.id} running (pid ${s.pid}, version ${s.version}, up ${s.uptimeSec}s)`,
        `socket ${s.socket}`,
        `store  ${s.store}`,
        `redis  ${s.redis ?? 'none (local throttle)'}`,
        `log    ${s.log}`,
      ];
      if (s.simulated) lines.push('LLM    SIMULATED (built-in simulator)');
      if (s.health) lines.push(...healthLines(s.health));
      process.stdout.write(lines.join('\n') + '\n');
    });
  daemon
    .command('run')
    .description('run the daemon in the foreground, logging to stdout only (under systemd: the journal, with priorities)')
    .option('--log <where>', 'stdout (default) or file: the rotating $VOC_HOME/daemon.log, for supervisors without a journal')
    .option('--background-child', 'internal: started by `voc daemon start`, logs to $VOC_HOME/daemon.log')
    .action(async (opts: { backgroundChild?: boolean; log?: string }, cmd: Command) => {
      if (opts.log !== undefined && opts.log !== 'stdout' && opts.log !== 'file') {
        throw new VocError('USAGE', `--log must be stdout or file, got ${JSON.stringify(opts.log)}`);
      }
      await runDaemonRun(configFor(cmd), { background: opts.backgroundChild, log: opts.log as 'stdout' | 'file' | undefined });
      // lingering sockets (a Redis reconnect, a stream) must not keep a stopped daemon alive
      process.exit(process.exitCode ?? 0);
    });
}
