import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tempHome } from '../helpers/home.js';
import { repoRoot, voc, vocBin, cleanEnv } from '../helpers/cli.js';
import { hasPg, pgTestUrl } from '../helpers/services.js';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import { runDoctor, type Check } from '../../src/doctor/index.js';
import { homePaths } from '../../src/daemon/lifecycle.js';
import { openStore } from '../../src/store/db.js';
import { loadConfig } from '../../src/config/load.js';

const built = existsSync(path.join(repoRoot, 'dist', 'commands', 'doctor.js'));
if (!built) console.warn('[voc tests] dist/ is not built: run `npm run build` for the doctor CLI tests');

const GOOD = 'sk-good-doctor-0123456789';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sim(opts: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  const s = await startSimulator({ port: 0, latencyMs: 5, apiKeys: [GOOD], models: ['qwen-flash', 'qwen-plus'], ...opts });
  cleanups.push(() => s.close());
  return s;
}

function home(): string {
  const h = tempHome('dr');
  cleanups.push(h.cleanup);
  return h.home;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function doctor(h: string, env: Record<string, string>, args: string[] = []) {
  const r = await voc(h, ['doctor', '--json', ...args], { env });
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  const by = (name: string) => report.checks.find((c) => c.name === name);
  return { ...r, report, by };
}

describe.skipIf(!built)('voc doctor against voc sim', () => {
  it('a good key: every check passes, exit 0, and the key is never printed', async () => {
    const s = await sim();
    const h = home();
    const env = { VOC_LLM_BASE_URL: s.url, VOC_LLM_API_KEY: GOOD };
    const r = await doctor(h, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.report.ok).toBe(true);
    for (const name of ['node', 'config', 'home', 'disk', 'store', 'redis', 'endpoint', 'key', 'model'])
      expect(r.by(name)?.status, name).toBe('ok');
    expect(r.by('config')!.detail).toContain('llm.apiKey <- env VOC_LLM_API_KEY');
    const text = await voc(h, ['doctor'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ok {3}key /m);
    for (const out of [r.stdout, r.stderr, text.stdout, text.stderr]) expect(out).not.toContain(GOOD);
  });

  it('a rejected key: exit 1, the key check fails with one line of what to do', async () => {
    const s = await sim();
    const r = await doctor(home(), { VOC_LLM_BASE_URL: s.url, VOC_LLM_API_KEY: 'sk-wrong-key-000000' });
    expect(r.code).toBe(1);
    expect(r.by('endpoint')?.status).toBe('ok');
    expect(r.by('key')).toMatchObject({ status: 'fail' });
    expect(r.by('key')!.detail).toContain('refused');
    expect(r.by('key')!.fix).toBeTruthy();
    expect(r.stdout).not.toContain('sk-wrong-key-000000');
  });

  it('an unknown model: exit 1, the model check names what the endpoint offers', async () => {
    const s = await sim();
    const r = await doctor(home(), { VOC_LLM_BASE_URL: s.url, VOC_LLM_API_KEY: GOOD, VOC_LLM_MODEL: 'qwen-nonexistent' });
    expect(r.code).toBe(1);
    expect(r.by('model')).toMatchObject({ status: 'fail' });
    expect(r.by('model')!.detail).toContain('qwen-flash, qwen-plus');
    expect(r.by('model')!.fix).toContain('llm.model');
  });

  it('--call prints the cost first, then checks JSON mode; a model without JSON mode fails', async () => {
    const s = await sim({ noJsonModels: ['qwen-plus'] });
    const h = home();
    const good = await voc(h, ['doctor', '--call'], { env: { VOC_LLM_BASE_URL: s.url, VOC_LLM_API_KEY: GOOD } });
    expect(good.code, good.stdout).toBe(0);
    const lines = good.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^voc doctor --call: one chat call to qwen-flash of about \d+ prompt \+ 16 completion tokens, at most [\d.]+ CNY$/,
    );
    expect(good.stdout).toMatch(/^ok {3}json_mode +model qwen-flash answers in JSON mode/m);
    expect(s.stats().byTask).toBeDefined();
    const bad = await doctor(h, { VOC_LLM_BASE_URL: s.url, VOC_LLM_API_KEY: GOOD, VOC_LLM_MODEL: 'qwen-plus' }, ['--call']);
    expect(bad.code).toBe(1);
    expect(bad.by('json_mode')).toMatchObject({ status: 'fail' });
    expect(bad.stderr).toContain('voc doctor --call: one chat call to qwen-plus');
  });

  it('Redis down: exit 1 with the Redis line', async () => {
    const s = await sim();
    const port = await closedPort();
    const r = await doctor(home(), {
      VOC_LLM_BASE_URL: s.url,
      VOC_LLM_API_KEY: GOOD,
      VOC_REDIS_URL: `redis://:secretpw@127.0.0.1:${port}`,
    });
    expect(r.code).toBe(1);
    expect(r.by('redis')).toMatchObject({ status: 'fail' });
    expect(r.by('redis')!.detail).toContain('does not answer');
    expect(r.by('redis')!.fix).toContain('VOC_REDIS_URL');
    expect(r.stdout).not.toContain('secretpw');
  });

  it('store unreachable: exit 1, the store fails and the migrations are skipped', async () => {
    const s = await sim();
    const port = await closedPort();
    const r = await doctor(home(), {
      VOC_LLM_BASE_URL: s.url,
      VOC_LLM_API_KEY: GOOD,
      VOC_DATABASE_URL: `postgres://voc:dbsecret@127.0.0.1:${port}/voc`,
    });
    expect(r.code).toBe(1);
    expect(r.by('store')).toMatchObject({ status: 'fail' });
    expect(r.by('store')!.detail).toContain('does not answer');
    expect(r.by('migrations')?.status).toBe('skip');
    expect(r.stdout).not.toContain('dbsecret');
  });

  it('a home others can read fails with the chmod to run', async () => {
    const s = await sim();
    const h = home();
    chmodSync(h, 0o755);
    const r = await doctor(h, { VOC_LLM_BASE_URL: s.url, VOC_LLM_API_KEY: GOOD });
    expect(r.code).toBe(1);
    expect(r.by('home')).toMatchObject({ status: 'fail', fix: `chmod 700 ${h}` });
  });

  it('an invalid config fails the config check and skips the rest', async () => {
    const r = await doctor(home(), { VOC_QPS: 'fast' });
    expect(r.code).toBe(1);
    expect(r.by('config')!.detail).toContain('llm.qps');
    expect(r.by('endpoint')?.status).toBe('skip');
  });

  it('voc sim serves /compatible-mode/v1/models and refuses other keys', async () => {
    const child = spawn(process.execPath, [vocBin, 'sim', '--port', '0', '--json', '--api-key', GOOD, '--models', 'qwen-flash'], {
      env: cleanEnv(home()),
    });
    cleanups.push(() => void child.kill('SIGTERM'));
    // --json prints one (indented) document once it listens
    const url = await new Promise<string>((resolve) => {
      let text = '';
      createInterface({ input: child.stdout }).on('line', (l) => {
        text += l;
        try {
          resolve(JSON.parse(text).url);
        } catch {
          // not complete yet
        }
      });
    });
    const compat = url.replace(/\/v1$/, '/compatible-mode/v1');
    const ok = await fetch(`${compat}/models`, { headers: { authorization: `Bearer ${GOOD}` } });
    expect(ok.status).toBe(200);
    expect((await ok.json()).data.map((m: { id: string }) => m.id)).toEqual(['qwen-flash']);
    expect((await fetch(`${compat}/models`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });
});

describe('voc doctor tells a wrong-region DashScope key from a wrong key', () => {
  async function regions() {
    // two "regions": the configured one does not know the key, the other made it
    const beijing = await sim({ apiKeys: ['sk-made-elsewhere'] });
    const singapore = await sim({ apiKeys: [GOOD] });
    const compat = (s: Simulator) => s.url.replace(/\/v1$/, '/compatible-mode/v1');
    return [
      { id: 'cn-beijing', name: 'China (Beijing)', baseUrl: compat(beijing) },
      { id: 'ap-southeast-1', name: 'Singapore', baseUrl: compat(singapore) },
    ];
  }

  async function run(key: string) {
    const h = home();
    const rs = await regions();
    const report = await runDoctor({
      load: { env: { VOC_HOME: h, VOC_LLM_BASE_URL: rs[0].baseUrl, DASHSCOPE_API_KEY: key } },
      socketPath: (x) => homePaths(x).socket,
      regions: rs,
    });
    return { report, key: report.checks.find((c) => c.name === 'key')!, rs };
  }

  it('a key of another region: names the region that accepts it and the base URL to set', async () => {
    const { report, key, rs } = await run(GOOD);
    expect(report.ok).toBe(false);
    expect(key.status).toBe('fail');
    expect(key.detail).toContain('the China (Beijing) endpoint');
    expect(key.detail).toContain('accepted by Singapore: a DashScope key belongs to one region');
    expect(key.fix).toContain(rs[1].baseUrl);
    expect(key.data).toMatchObject({ region: 'cn-beijing', keyRegion: 'ap-southeast-1' });
    expect(JSON.stringify(report)).not.toContain(GOOD);
  });

  it('a key no region accepts: wrong or revoked, and which region the base URL is', async () => {
    const { key } = await run('sk-typo-0000000000');
    expect(key.status).toBe('fail');
    expect(key.detail).toContain('wrong or revoked');
    expect(key.detail).toContain('this base URL is China (Beijing)');
    expect(key.data).toMatchObject({ keyRegion: null });
  });
});

describe.skipIf(!hasPg)('voc doctor on a shared PostgreSQL', () => {
  it('warns when several live daemons share the database without Redis', async () => {
    const h = home();
    const pgu = pgTestUrl('dr');
    cleanups.push(() => pgu.drop());
    const env = { VOC_HOME: h, VOC_DATABASE_URL: pgu.url };
    const store = await openStore(loadConfig({ env }));
    const t = Date.now();
    const row = (id: string) => ({
      id,
      host: 'h',
      pid: 1,
      home: '/x',
      version: '0',
      started_at: t,
      heartbeat_at: t,
      stopped_at: null,
      stats: null,
    });
    await store.knex('daemons').insert([row('a'), row('b')]);
    await store.close();
    const report = await runDoctor({ load: { env }, socketPath: (x) => homePaths(x).socket });
    const redis = report.checks.find((c) => c.name === 'redis')!;
    expect(redis.status).toBe('warn');
    expect(redis.detail).toContain('2 daemons share this database but there is no Redis');
    expect(report.checks.find((c) => c.name === 'migrations')?.status).toBe('ok');
  });
});
