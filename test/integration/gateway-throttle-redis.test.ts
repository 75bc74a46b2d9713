import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/llm/gateway.js';
import type { LoadResult } from '../../bench/loadgen.js';
import { spawnSimulator, type RemoteSimulator } from '../../src/llm/simulator/process.js';
import { adaptiveParams } from '../../src/llm/adaptive.js';
import { RedisPermits, throttleKeys } from '../../src/llm/throttle/redis.js';
import { PriorityDispatcher } from '../../src/llm/throttle/dispatcher.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { hasRedis, REDIS_URL, redisTestPrefix } from '../helpers/services.js';
import { tempHome, testConfig } from '../helpers/home.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const viteNode = path.join(repoRoot, 'node_modules', '.bin', 'vite-node');
/** generous against a busy test machine; bench/ measures the default margin */
const MARGIN = { 'llm.marginMs': 100 };

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A separate OS process running saturated demand through its own gateway; resolves to its result line. */
function loadProcess(opts: Record<string, unknown>): Promise<LoadResult> {
  const child = spawn(viteNode, [path.join(repoRoot, 'bench/loadgen-main.ts'), JSON.stringify(opts)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`load process exited with ${code}`)),
    );
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe.skipIf(!hasRedis)('gateway throttle shared through Redis', () => {
  let sim: RemoteSimulator;
  const home = tempHome('gwr');
  beforeAll(async () => {
    sim = await spawnSimulator(
      { limit: 25, latencyMs: 30, seed: 3 },
      { cmd: viteNode, args: [path.join(repoRoot, 'src/llm/simulator/main.ts')], cwd: repoRoot },
    );
  });
  afterAll(async () => {
    await sim?.stop();
    home.cleanup();
  });

  it('two OS processes sharing one Redis window stay under 25 per second together, with no 429', async () => {
    await sim.reset();
    const { prefix, cleanup } = redisTestPrefix('gw');
    const config = testConfig(home.home, { redisUrl: REDIS_URL, overrides: { ...MARGIN, 'redis.keyPrefix': prefix } });
    const key = `${prefix}${config.llm.rateKey}`;
    const watcher = new Redis(REDIS_URL);
    let maxCard = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        maxCard = Math.max(maxCard, await watcher.zcard(key));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const startAt = Date.now() + 3000;
      const common = { config, baseUrl: sim.url, redisUrl: REDIS_URL, callers: 150, total: 300, startAt };
      const [a, b] = await Promise.all([loadProcess(common), loadProcess(common)]);
      const s = await sim.stats();
      expect(a.ok + b.ok).toBe(600);
      expect(a.stats.throttle).toBe('redis');
      expect(s.accepted).toBe(600);
      expect(s.rejected429).toBe(0);
      expect(s.maxInWindow).toBeLessThanOrEqual(25);
      // both processes got their share of the one window
      expect(Math.min(a.stats.requests, b.stats.requests)).toBe(300);
      expect(maxCard).toBeGreaterThan(0);
      expect(maxCard).toBeLessThanOrEqual(25);
    } finally {
      watching = false;
      await watch;
      watcher.disconnect();
      await cleanup();
    }
  }, 60_000);

  /** Two processes' permit sources (a and b) on one Redis window of their own, closed after `use`. */
  async function twoSources<T>(
    overrides: Record<string, unknown>,
    use: (s: { a: RedisPermits; b: RedisPermits; r1: Redis; cfg: ReturnType<typeof testConfig> }) => Promise<T>,
  ): Promise<T> {
    const { prefix, cleanup } = redisTestPrefix('gw2');
    const cfg = testConfig(home.home, { redisUrl: REDIS_URL, overrides: { 'redis.keyPrefix': prefix, ...overrides } });
    const [r1, r2] = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const a = new RedisPermits(r1, throttleKeys(cfg), adaptiveParams(cfg), cfg.llm.pollBackoffMs, silentLogger);
    const b = new RedisPermits(r2, throttleKeys(cfg), adaptiveParams(cfg), cfg.llm.pollBackoffMs, silentLogger);
    try {
      return await use({ a, b, r1, cfg });
    } finally {
      a.close();
      b.close();
      r1.disconnect();
      r2.disconnect();
      await cleanup();
    }
  }

  it('a 429 seen by one process lowers the rate for every process on the same Redis', async () => {
    await twoSources({}, async ({ a, b, r1, cfg }) => {
      (await b.take()).wired(Date.now());
      expect(b.rate()).toBe(25);
      expect(await a.on429()).toBe(20);
      expect(await b.on429()).toBeNull(); // the same burst seen by another process does not lower it twice
      const second = await b.take();
      expect(b.rate()).toBe(20);
      // one on the wire, one holding its slot until it is sent
      await until(async () => (await r1.zcard(throttleKeys(cfg).window)) === 1, 5000, 'the wire time to land');
      expect(await r1.zcard(throttleKeys(cfg).pending)).toBe(1);
      second.release();
      await until(async () => (await r1.zcard(throttleKeys(cfg).pending)) === 0, 5000, 'the release to land');
    });
  });

  it('a process that lost a slot backs off no longer than the winner goes on taking: no slot is left unused', async () => {
    // 25 a window of 1000 ms: one slot every 40 ms; the seed's 0.1-0.5 s back-off would skip 2-12 of them
    const trial = () =>
      twoSources({ 'llm.marginMs': 0 }, async ({ a, b }) => {
        const grants: Array<{ at: number; who: string }> = [];
        const run = async (src: RedisPermits, who: string, n: number) => {
          for (let i = 0; i < n; i++) {
            const permit = await src.take(() => n - i - 1);
            grants.push({ at: Date.now(), who });
            permit.wired(Date.now());
          }
        };
        // a short burst from a, a longer one from b: b loses slots to a, then must take over the moment a runs dry
        await Promise.all([run(a, 'a', 10), run(b, 'b', 20)]);
        expect(grants.filter((g) => g.who === 'a')).toHaveLength(10);
        const steady = grants.slice(2); // the first slots of an idle window are spaced wider
        return steady.slice(1).map((g, i) => g.at - steady[i].at);
      });
    const gaps: number[] = [];
    for (let i = 0; i < 4; i++) gaps.push(...(await trial()));
    // a back-off past the winner's slots leaves a gap of up to 500 ms (the seed's 100-500 ms); a timer late on a busy
    // machine stays well under 150
    expect(Math.max(...gaps)).toBeLessThan(150);
  });

  it("a learning call gets one of the next slots although another process's translations keep the window full", async () => {
    // both processes saturate the window with translations (priority 5); then one of them needs a learning slot
    // (priority 0). Inside that process the dispatcher puts it first; across processes, its claim on the next slot
    // must keep the other from taking it, or a learning call in the process that keeps losing slots waits while the
    // other takes slot after slot. Counted in slots the other process is granted meanwhile, not in milliseconds.
    const slotsToOther = await twoSources({ 'llm.marginMs': 0 }, async ({ a, b }) => {
      const procs = [new PriorityDispatcher(a), new PriorityDispatcher(b)];
      const granted = [0, 0];
      let stop = false;
      const translate = async (i: number) => {
        while (!stop) {
          (await procs[i].acquire(5, 'translation')).wired(Date.now());
          granted[i]++;
        }
      };
      const loops = [0, 1].flatMap((i) => Array.from({ length: 20 }, () => translate(i)));
      await new Promise((r) => setTimeout(r, 1500)); // past the first, wider-spaced window
      const out: number[] = [];
      for (let n = 0; n < 12; n++) {
        const [mine, other] = [n % 2, 1 - (n % 2)];
        const before = granted[other];
        const permit = await procs[mine].acquire(0, 'learning');
        out.push(granted[other] - before);
        permit.wired(Date.now());
        await new Promise((r) => setTimeout(r, 150));
      }
      stop = true;
      procs.forEach((d) => d.close());
      await Promise.allSettled(loops);
      return out;
    });
    // the other process may still be granted the slot it was polling for when the claim was made
    expect(Math.max(...slotsToOther), `slots to the other process: ${slotsToOther.join(', ')}`).toBeLessThanOrEqual(2);
  });

  it('when Redis goes away calls pause (never unthrottled), then resume when it is back', async () => {
    await sim.reset();
    const port = await freePort();
    const startRedis = async (): Promise<ChildProcess> => {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      await until(
        async () =>
          probe.connect().then(
            () => true,
            () => false,
          ),
        10_000,
        'redis-server to listen',
      );
      probe.disconnect();
      return child;
    };
    let server = await startRedis();
    const redis = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), level: 'info' });
    const config = testConfig(home.home, { redisUrl: `redis://127.0.0.1:${port}`, overrides: MARGIN });
    const gw = createGateway({ config, log, redis, usage: null, baseUrl: sim.url });
    try {
      let next = 0;
      let failed = 0;
      const done = Promise.all(
        Array.from({ length: 100 }, async () => {
          while (next < 200) {
            next++;
            await gw
              .complete({ lane: 'translation', task: 'translate_single', messages: [{ role: 'user', content: `review ${next}` }] })
              .catch(() => failed++);
          }
        }),
      );
      await until(async () => (await sim.stats()).accepted >= 20, 20_000, 'calls to flow');
      server.kill('SIGKILL');
      await until(() => !gw.stats().throttleHealthy, 5_000, 'the throttle to report Redis down');
      // a permit granted just before the kill may still be on its way (on a busy machine, well after it)
      await until(() => gw.stats().inFlight === 0, 10_000, 'the requests granted before the kill to end');
      const paused = (await sim.stats()).requests;
      const observeUntil = Date.now() + 1500;
      while (Date.now() < observeUntil) {
        expect((await sim.stats()).requests).toBe(paused);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(gw.stats().waiting.translation).toBeGreaterThan(0);
      server = await startRedis();
      await until(() => gw.stats().throttleHealthy, 10_000, 'the throttle to recover');
      await done;
      const s = await sim.stats();
      expect(failed).toBe(0);
      expect(s.accepted).toBe(200);
      expect(s.maxInWindow).toBeLessThanOrEqual(25);
      expect(s.rejected429).toBe(0);
      expect(lines.filter((l) => l.includes('throttle_unavailable'))).toHaveLength(1);
      expect(lines.some((l) => l.includes('throttle_recovered'))).toBe(true);
    } finally {
      await gw.close();
      redis.disconnect();
      server.kill('SIGKILL');
    }
  }, 60_000);
});
