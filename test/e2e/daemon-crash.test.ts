import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempHome, testConfig } from '../helpers/home.js';
import { DATABASES } from '../helpers/databases.js';
import { pgTestUrl } from '../helpers/services.js';
import { clientFor, waitForDaemon } from '../../src/daemon/client.js';
import { homePaths } from '../../src/daemon/lifecycle.js';
import { openStore } from '../../src/store/db.js';
import type { NewReview } from '../../src/store/reviews.js';
import type { JobView } from '../../src/daemon/api.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// `voc daemon run` with the test-only sleep service, in its own process
const sleepDaemon = path.join(repoRoot, 'test', 'helpers', 'sleep-daemon.mjs');
const built = existsSync(path.join(repoRoot, 'dist', 'daemon', 'daemon.js'));
if (!built) console.warn('[voc tests] dist/ is not built: run `npm run build` for the kill -9 tests');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function review(i: number): NewReview {
  const body = `crash test review ${i}: the strap broke after a week but support was quick`;
  return {
    sourceKey: `crash:${i}`,
    reviewId: String(i),
    productId: `P${i % 7}`,
    marketplace: null,
    rating: 3,
    title: null,
    body,
    bodyHash: `hash-${i}`,
    reviewDate: null,
    author: null,
    language: 'en',
    class: 'standard',
    bodyLen: body.length,
  };
}

async function until<T>(fn: () => Promise<T | null | false>, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!built).each(DATABASES)('kill -9 of a daemon child process on %s', (db) => {
  async function setup() {
    const h = tempHome('kc');
    const pgu = db === 'pg' ? pgTestUrl('kc') : null;
    writeFileSync(
      path.join(h.home, 'config.json'),
      JSON.stringify({
        beat: { checkPendingTranslations: false },
        analysis: { autoLearn: false },
        pools: { trans: { jitterMs: [0, 0] } },
        daemon: { heartbeatMs: 200, leaseMs: 1000, shutdownTimeoutMs: 2000 },
      }),
    );
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, VOC_HOME: h.home };
    if (pgu) env.VOC_DATABASE_URL = pgu.url;
    const config = testConfig(h.home, { databaseUrl: pgu?.url ?? null });
    const children: ChildProcess[] = [];
    cleanups.push(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      h.cleanup();
      await pgu?.drop();
    });
    const start = async () => {
      const child = spawn(process.execPath, [sleepDaemon], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d) => (err += d));
      children.push(child);
      const health = await waitForDaemon(homePaths(h.home).socket, 20000);
      if (!health) throw new Error(`daemon did not start: ${err}`);
      expect(health.pid).toBe(child.pid);
      return child;
    };
    const kill9 = async (child: ChildProcess) => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    };
    return { config, start, kill9, client: clientFor(homePaths(h.home).socket), paths: homePaths(h.home) };
  }

  it('loses no acknowledged row when killed during ingestion', async () => {
    const { config, start, kill9, client, paths } = await setup();
    const child = await start();
    const acked: NewReview[] = [];
    let n = 0;
    const chunk = () => Array.from({ length: 500 }, () => review(n++));
    for (let i = 0; i < 4; i++) {
      const rows = chunk();
      const r = await client.ingest({ file: 'crash.csv', rows });
      expect(r.inserted).toBe(rows.length);
      acked.push(...rows);
    }
    // a chunk in flight when the process dies: it may or may not be stored, but it was never acknowledged
    const inFlight = client.ingest({ file: 'crash.csv', rows: chunk() }).catch(() => null);
    await kill9(child);
    await inFlight;
    expect(existsSync(paths.pid)).toBe(true); // stale, from the crash

    await start();
    const store = await openStore(config);
    try {
      const keys = new Set((await store.knex('reviews').select('source_key')).map((r: { source_key: string }) => r.source_key));
      for (const r of acked) expect(keys.has(r.sourceKey)).toBe(true);
    } finally {
      await store.close();
    }
    const again = await client.ingest({ file: 'crash.csv', rows: acked.slice(0, 500) });
    expect(again).toMatchObject({ inserted: 0, duplicates: 500 });
  });

  it('loses no job when killed during a long run of jobs, and finishes each once after the restart', async () => {
    const { start, kill9, client } = await setup();
    const child = await start();
    // the jobs run side by side, so their lengths differ (0.16 s to 3.8 s): the poll sees some done while others
    // still run however slow the machine is (equal short jobs submitted one by one could each finish before the
    // next was submitted on a loaded machine, and the poll never saw one running)
    const jobs: JobView[] = await Promise.all(
      Array.from({ length: 24 }, (_, i) => client.submitJob({ kind: 'sleep' as never, params: { steps: 4, ms: 40 + 40 * i } })),
    );
    await until(async () => {
      const all = await Promise.all(jobs.map((j) => client.getJob(j.id)));
      return all.some((j) => j.status === 'done') && all.some((j) => j.status === 'running');
    });
    await kill9(child);

    const second = await start();
    const finals = await until(async () => {
      const all = await Promise.all(jobs.map((j) => client.getJob(j.id)));
      return all.every((j) => j.status === 'done') ? all : null;
    }, 45000);
    for (const j of finals) {
      expect(j.error).toBeNull();
      expect(j.result).toMatchObject({ done: 4, steps: 4 });
    }
    const leftover = await client.jobs();
    expect(leftover.active).toHaveLength(0);
    second.kill('SIGTERM');
    const code = await new Promise((r) => second.once('exit', (c) => r(c)));
    expect(code).toBe(0);
  });
});

describe.skipIf(!built)('signals', () => {
  it('SIGTERM drains in-flight jobs and gives the rest back; a second signal forces the exit', async () => {
    const h = tempHome('sg');
    writeFileSync(
      path.join(h.home, 'config.json'),
      JSON.stringify({ beat: { checkPendingTranslations: false }, analysis: { autoLearn: false }, daemon: { shutdownTimeoutMs: 60000 } }),
    );
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, VOC_HOME: h.home };
    const child = spawn(process.execPath, [sleepDaemon], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d) => (out += d));
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      h.cleanup();
    });
    const client = clientFor(homePaths(h.home).socket);
    expect(await waitForDaemon(homePaths(h.home).socket, 20000)).not.toBeNull();
    const job = await client.submitJob({ kind: 'sleep' as never, params: { steps: 1, ms: 30000, lane: 'reports', uninterruptible: true } });
    await until(async () => (await client.jobs()).active.length === 1);
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    child.kill('SIGTERM');
    await until(async () => out.includes('"daemon_stopping"'));
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    expect(out).toContain('"daemon_forced"');
    expect(out).not.toContain('"daemon_stopped"');
    expect(job.status).toBe('queued');
  });
});

describe.skipIf(!built)('graceful stop', () => {
  it('SIGTERM waits for the in-flight job to finish, records it, and exits 0', async () => {
    const h = tempHome('gs');
    writeFileSync(
      path.join(h.home, 'config.json'),
      JSON.stringify({ beat: { checkPendingTranslations: false }, analysis: { autoLearn: false } }),
    );
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, VOC_HOME: h.home };
    const child = spawn(process.execPath, [sleepDaemon], { env, stdio: ['ignore', 'ignore', 'ignore'] });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      h.cleanup();
    });
    const client = clientFor(homePaths(h.home).socket);
    expect(await waitForDaemon(homePaths(h.home).socket, 20000)).not.toBeNull();
    const job = await client.submitJob({ kind: 'sleep' as never, params: { steps: 1, ms: 800, lane: 'reports', uninterruptible: true } });
    await until(async () => (await client.jobs()).active.length === 1);
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const store = await openStore(testConfig(h.home));
    try {
      const row = await store.knex('jobs').where({ id: job.id }).first();
      expect(row.status).toBe('done');
    } finally {
      await store.close();
    }
    expect(existsSync(homePaths(h.home).pid)).toBe(false);
  });
});
