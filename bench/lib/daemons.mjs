// Shared by the benches that run real daemons against `voc sim`: a clean environment, a voc command runner, the
// simulator in a child process and n daemons in their own homes (two or more share a fresh PostgreSQL schema and
// Redis key prefix). Not a bench itself (run.mjs runs only bench/*.mjs).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'voc');
const run = promisify(execFile);
const PG_BASE = process.env.VOC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.VOC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const { waitForDaemon } = await import(path.join(root, 'dist', 'daemon', 'client.js'));

export function env(home, extra) {
  const e = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VOC_|DASHSCOPE_|OPENAI_)/.test(k)) e[k] = v;
  return { ...e, VOC_HOME: home, NO_COLOR: '1', ...extra };
}

/** Runs a voc command; a non-zero exit (some reviews failed) is reported, not thrown. */
export async function voc(home, extra, args) {
  try {
    return {
      code: 0,
      out: (await run(process.execPath, [bin, ...args], { env: env(home, extra), maxBuffer: 64 << 20, timeout: 1_800_000 })).stdout,
    };
  } catch (err) {
    return { code: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** `voc sim` with the given flags in a child process; get(route) reads /stats or /arrivals. */
export async function startSim(home, flags) {
  const args = ['sim', '--port', '0', '--json', ...flags];
  const child = spawn(process.execPath, [bin, ...args], { env: env(home, {}), stdio: ['ignore', 'pipe', 'inherit'] });
  // a provider runs on machines of its own: the simulator should not stamp arrivals late because the daemon under
  // test (or the CPU hog beside it) holds the cores, so it gets a higher priority where the OS allows it
  try {
    setPriority(child.pid, -10);
  } catch {
    // not permitted (an unprivileged user): arrivals may read late under CPU contention; /stats shows loopDelayMs
  }
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      try {
        resolve(JSON.parse(buf).url);
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (c) => reject(new Error(`voc sim exited ${c}`)));
  });
  const base = url.replace(/\/v1$/, '');
  return { child, url, get: async (route) => (await fetch(`${base}${route}`)).json() };
}

export async function servicesUp() {
  const c = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 3000 });
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await c.connect();
    await r.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
    r.disconnect();
  }
}

/** n daemons, each in its own home; two or more share a fresh PostgreSQL schema and Redis key prefix. */
export async function daemons(n, simUrl, tag = 'bench') {
  const schema = `voc_${tag}_${randomBytes(4).toString('hex')}`;
  const prefix = `voc${tag}:${randomBytes(4).toString('hex')}:`;
  const u = new URL(PG_BASE);
  u.searchParams.set('schema', schema);
  const shared = {
    VOC_LLM_BASE_URL: simUrl,
    VOC_LLM_API_KEY: 'sk-bench-daemons',
    ...(n > 1 ? { VOC_DATABASE_URL: u.toString(), VOC_REDIS_URL: REDIS_URL } : {}),
  };
  // automatic learning on explicitly: its default may change, the path under test may not
  const config = { analysis: { autoLearn: true }, ...(n > 1 ? { redis: { keyPrefix: prefix } } : {}) };
  const homes = [];
  const children = [];
  for (let i = 0; i < n; i++) {
    const home = mkdtempSync(path.join(tmpdir(), `voc-${tag}${i}-`));
    writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
    homes.push(home);
    children.push(spawn(process.execPath, [bin, 'daemon', 'run'], { env: env(home, shared), stdio: 'ignore' }));
  }
  for (const h of homes) {
    if (await waitForDaemon(path.join(h, 'voc.sock'), 120_000)) continue;
    for (const c of children) c.kill('SIGKILL');
    throw new Error(`a daemon did not start within 120 s in ${h}`);
  }
  return {
    homes,
    shared,
    /** `voc status --json` of daemon i, or null when it does not answer */
    status: async (i) => {
      const r = await voc(homes[i], shared, ['status', '--json']);
      return r.code === 0 ? JSON.parse(r.out) : null;
    },
    stop: async () => {
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : (c.once('exit', r), c.kill('SIGTERM'))))));
      for (const h of homes) rmSync(h, { recursive: true, force: true });
      if (n < 2) return;
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
      const r = new Redis(REDIS_URL);
      const keys = await r.keys(`${prefix}*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    },
  };
}
