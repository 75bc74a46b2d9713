import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempHome, testConfig } from '../helpers/home.js';
import { connectDaemon } from '../../src/daemon/client.js';
import { processAlive } from '../../src/daemon/lifecycle.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = existsSync(path.join(repoRoot, 'dist', 'commands', 'daemon.js'));
if (!built) console.warn('[voc tests] dist/ is not built: run `npm run build` for the daemon CLI tests');

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup() {
  const h = tempHome('cl');
  writeFileSync(
    path.join(h.home, 'config.json'),
    JSON.stringify({ beat: { checkPendingTranslations: false }, analysis: { autoLearn: false } }),
  );
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, VOC_HOME: h.home };
  const voc = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'voc'), ...args], { env, encoding: 'utf8', timeout: 30000 });
  cleanups.push(() => {
    voc('daemon', 'stop');
    h.cleanup();
  });
  return { voc, home: h.home };
}

describe.skipIf(!built)('voc daemon, jobs, pause and resume commands', () => {
  it('start, status, a refused second start, pause/resume, jobs, stop', async () => {
    const { voc, home } = setup();
    const none = voc('daemon', 'status');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('no daemon is running');

    const start = voc('daemon', 'start');
    expect(start.status).toBe(0);
    const status = JSON.parse(voc('daemon', 'status', '--json').stdout);
    expect(status).toMatchObject({ running: true, socket: path.join(home, 'voc.sock') });
    // the same checks as GET /health: store, Redis (none here), provider
    expect(status.health).toMatchObject({ status: 'ok', store: { ok: true }, redis: null, provider: { breaker: 'closed', state: 'ok' } });
    expect(processAlive(status.pid)).toBe(true);

    const again = voc('daemon', 'start');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`pid ${status.pid}`);

    expect(voc('pause', 'translation').stdout).toContain('lane translation paused');
    const bad = voc('pause', 'bogus');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('no lane "bogus"');
    const jobs = JSON.parse(voc('jobs', '--json').stdout);
    expect(jobs.pools.trans).toEqual({ cap: 100, lanes: ['translation'] });
    expect(voc('resume', 'translation').stdout).toContain('lane translation resumed');

    const stop = voc('daemon', 'stop');
    expect(stop.status).toBe(0);
    expect(processAlive(status.pid)).toBe(false);
    expect(existsSync(path.join(home, 'daemon.pid'))).toBe(false);
  });

  it('connectDaemon with autostart starts a daemon in the background and says so', async () => {
    const { home } = setup();
    const config = testConfig(home);
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (writes.push(String(s)), true)) as typeof process.stderr.write;
    let client;
    try {
      client = await connectDaemon(config, { autostart: true });
    } finally {
      process.stderr.write = orig;
    }
    const h = await client.health();
    expect(writes.join('')).toContain(`voc: started the daemon (pid ${h.pid}, log ${path.join(home, 'daemon.log')})`);
    await client.shutdown();
  });

  it('a daemon that cannot start says why at once (the store it cannot open), for ingest and daemon start alike', () => {
    const h = tempHome('cf');
    cleanups.push(h.cleanup);
    // nothing listens on port 1: the daemon fails to open its store and exits
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      VOC_HOME: h.home,
      VOC_DATABASE_URL: 'postgres://voc:hunter2@127.0.0.1:1/voc',
    };
    const file = path.join(h.home, 'r.csv');
    writeFileSync(file, 'review_id,product_id,rating,body\n1,P,5,fine\n');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'voc'), ...args], { env, encoding: 'utf8', timeout: 30000 });
    for (const r of [run('ingest', file), run('daemon', 'start')]) {
      expect(r.status, r.stderr).toBe(2);
      // the daemon's own error, not "did not start (see the log)" after the 20 s wait
      expect(r.stderr).toMatch(
        /^voc: the daemon did not start: cannot open the store at postgres:\/\/voc:\*\*\*@127\.0\.0\.1:1\/voc: .*ECONNREFUSED/m,
      );
      expect(r.stderr).toMatch(/^hint: check VOC_DATABASE_URL/m);
      expect(r.stderr).not.toContain('hunter2');
    }
  });
});
