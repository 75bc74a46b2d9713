import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setPriority } from 'node:os';
import { Redis } from 'ioredis';
import { cleanEnv, repoRoot, vocBin } from '../helpers/cli.js';
import { tempHome } from '../helpers/home.js';
import { REDIS_URL } from '../helpers/services.js';
import { waitForDaemon } from '../../src/daemon/client.js';
import { homePaths } from '../../src/daemon/lifecycle.js';
import type { SimStats } from '../../src/llm/simulator/index.js';

/**
 * Processes of a cluster test: `voc sim` and `voc daemon run` as real children, each daemon in its own home, all on
 * one PostgreSQL schema and one Redis key prefix. Every child is killed by stopAll(), whatever happened before.
 */
export const FAKE_KEY = 'sk-faults-DO-NOT-LEAK-7f3a9c';

export async function until<T>(what: string, fn: () => Promise<T | null | false | undefined>, ms = 60_000, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > end)
      throw new Error(`${what}: not met within ${ms} ms${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface SimProcess {
  url: string;
  stats(): Promise<SimStats>;
  child: ChildProcess;
}

/** `voc sim --port 0 --json` in a child process; its first stdout line carries the URL. */
export async function startSim(args: string[], home: string): Promise<SimProcess> {
  const child = spawn(process.execPath, [vocBin, 'sim', '--port', '0', '--json', ...args], {
    env: cleanEnv(home),
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // a provider has machines of its own: the simulator should not stamp arrivals late because the daemons under test
  // hold both cores, so it runs at a higher priority where the OS allows (its /stats show its own loop delay)
  try {
    setPriority(child.pid!, -10);
  } catch {
    // not permitted for this user: the simulator runs at the normal priority
  }
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d) => (err += d));
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      // --json pretty-prints one object: wait until it parses
      try {
        resolve(JSON.stringify(JSON.parse(buf)));
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`voc sim exited with ${code}: ${err}`)));
  });
  const url = (JSON.parse(first) as { url: string }).url;
  const base = url.replace(/\/v1$/, '');
  return {
    url,
    child,
    stats: async () => (await (await fetch(`${base}/stats`)).json()) as SimStats,
  };
}

export interface DaemonProc {
  index: number;
  home: string;
  id: string;
  child: ChildProcess;
  output: () => string;
}

export interface Cluster {
  homes: string[];
  env: NodeJS.ProcessEnv;
  daemons: DaemonProc[];
  start(i: number): Promise<DaemonProc>;
  kill9(d: DaemonProc): Promise<void>;
  stopAll(): Promise<void>;
  /** text of every daemon.log and captured output, to look for leaked secrets */
  allLogs(): string;
  cleanup(): void;
}

export function makeCluster(n: number, o: { env: NodeJS.ProcessEnv; config: Record<string, unknown> }): Cluster {
  const homes = Array.from({ length: n }, (_, i) => {
    const h = tempHome(`f${i}`);
    writeFileSync(path.join(h.home, 'config.json'), JSON.stringify(o.config, null, 2));
    return h;
  });
  const all: DaemonProc[] = [];
  const cluster: Cluster = {
    homes: homes.map((h) => h.home),
    env: o.env,
    daemons: [],
    async start(i) {
      const home = homes[i].home;
      const child = spawn(process.execPath, [vocBin, 'daemon', 'run'], {
        env: cleanEnv(home, o.env),
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d) => (out += d));
      // a busy machine (two cores shared by several suites) can take well over 30 s to start a daemon
      const health = await waitForDaemon(homePaths(home).socket, 90_000);
      if (!health || health.pid !== child.pid) {
        child.kill('SIGKILL'); // never left running behind a failed test
        throw new Error(`daemon ${i} did not start: ${out.slice(-2000)}`);
      }
      const d: DaemonProc = { index: i, home, id: health.id, child, output: () => out };
      cluster.daemons[i] = d;
      all.push(d);
      return d;
    },
    async kill9(d) {
      if (d.child.exitCode !== null || d.child.signalCode !== null) return;
      const exited = new Promise((r) => d.child.once('exit', r));
      d.child.kill('SIGKILL');
      await exited;
    },
    async stopAll() {
      await Promise.all(
        all.map(async (d) => {
          if (d.child.exitCode !== null || d.child.signalCode !== null) return;
          const exited = new Promise((r) => d.child.once('exit', r));
          d.child.kill('SIGTERM');
          const t = setTimeout(() => d.child.kill('SIGKILL'), 8000);
          await exited;
          clearTimeout(t);
        }),
      );
    },
    allLogs() {
      let text = all.map((d) => d.output()).join('\n');
      for (const h of homes) {
        for (const f of readdirSync(h.home)) if (f.endsWith('.log')) text += '\n' + readFileSync(path.join(h.home, f), 'utf8');
      }
      return text;
    },
    cleanup() {
      for (const h of homes) h.cleanup();
    },
  };
  return cluster;
}

// ---- the shared services -------------------------------------------------------------------------------------

export function pgVersion(): string | null {
  try {
    const v = readdirSync('/etc/postgresql').filter((d) => /^\d+$/.test(d));
    return v.length ? v.sort()[v.length - 1] : null;
  } catch {
    return null;
  }
}

export function canRestartServices(): string | null {
  if (process.getuid?.() !== 0) return 'not root: cannot restart PostgreSQL and Redis';
  if (!pgVersion()) return 'no /etc/postgresql cluster to restart';
  for (const bin of ['pg_ctlcluster', 'redis-cli', 'redis-server']) {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
    } catch {
      return `${bin} is not installed`;
    }
  }
  return null;
}

export function restartPg(): void {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', pgVersion()!, 'main', 'restart'], { stdio: 'ignore', timeout: 60_000 });
}

async function redisPing(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export function startRedis(): void {
  execFileSync(
    'redis-server',
    [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '-::1',
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/var/lib/redis',
      '--logfile',
      '/var/log/redis/ci.log',
    ],
    { stdio: 'ignore', timeout: 30_000 },
  );
}

/** Stop Redis without saving, start it again, wait for PING. */
export async function restartRedis(): Promise<void> {
  try {
    execFileSync('redis-cli', ['shutdown', 'nosave'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // redis-cli exits non-zero when the server closes the connection on shutdown
  }
  await until('redis down', async () => !(await redisPing()), 10_000);
  startRedis();
  await until('redis answers PING', () => redisPing(), 30_000);
}

/** Whatever a test did, PostgreSQL and Redis are running afterwards. */
export async function ensureServicesUp(): Promise<void> {
  if (!(await redisPing())) {
    try {
      startRedis();
    } catch {
      // reported below
    }
    await until('redis answers PING after the test', () => redisPing(), 30_000);
  }
  const v = pgVersion();
  if (!v) return;
  try {
    execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-t', '5'], { stdio: 'ignore' });
  } catch {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start'], { stdio: 'ignore', timeout: 60_000 });
  }
}
