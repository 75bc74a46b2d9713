import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/llm/gateway.js';
import { spawnSimulator } from '../../src/llm/simulator/process.js';
import { silentLogger } from '../../src/log.js';
import { tempHome, testConfig } from '../helpers/home.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const viteNode = path.join(repoRoot, 'node_modules', '.bin', 'vite-node');

/** The simulator in its own process, so its arrival clock does not share an event loop with 300 callers. */
const simulatorProcess = (opts: Record<string, unknown>) =>
  spawnSimulator(opts, { cmd: viteNode, args: [path.join(repoRoot, 'src/llm/simulator/main.ts')], cwd: repoRoot });

/**
 * The machine running the tests may be busy (two cores, other suites at once): a generous safety margin keeps
 * scheduling delays from looking like a broken cap. The throughput at the default margin is measured in bench/.
 */
const MARGIN = { 'llm.marginMs': 100 };

const batch = (n: number) => [
  { role: 'system' as const, content: 'Translate each value. Answer with a JSON object with the same keys.' },
  { role: 'user' as const, content: JSON.stringify({ r1: `review ${n}`, r2: 'fine' }) },
];

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('gateway throttle in one process', () => {
  let sim: Awaited<ReturnType<typeof simulatorProcess>>;
  const home = tempHome('gwl');
  beforeAll(async () => {
    sim = await simulatorProcess({ limit: 25, latencyMs: 30, seed: 7 });
  });
  afterAll(async () => {
    await sim?.stop();
    home.cleanup();
  });

  it('600 requests from 300 concurrent callers never exceed 25 in any second at the provider and draw no 429', async () => {
    await sim.reset();
    const gw = createGateway({
      config: testConfig(home.home, { overrides: MARGIN }),
      log: silentLogger,
      redis: null,
      usage: null,
      baseUrl: sim.url,
    });
    let next = 0;
    const results: number[] = [];
    await Promise.all(
      Array.from({ length: 300 }, async () => {
        while (next < 600) {
          const n = next++;
          const r = await gw.complete({ lane: 'translation', task: 'translate_batch', json: true, messages: batch(n) });
          results.push(r.attempts);
        }
      }),
    );
    const s = await sim.stats();
    const g = gw.stats();
    await gw.close();
    expect(results).toHaveLength(600);
    expect(s.accepted).toBe(600);
    expect(s.rejected429).toBe(0);
    expect(s.maxInWindow).toBeLessThanOrEqual(25);
    expect(g.requests).toBe(600);
    expect(g.rejected429).toBe(0);
    expect(g.throttle).toBe('local');
  }, 60_000);

  it('a learning call submitted while 300 calls wait takes the next free slot', async () => {
    await sim.reset();
    const cfg = testConfig(home.home, { overrides: MARGIN });
    const gw = createGateway({ config: cfg, log: silentLogger, redis: null, usage: null, baseUrl: sim.url });
    const others = Array.from({ length: 320 }, (_, n) =>
      gw.complete({ lane: 'translation', task: 'translate_batch', json: true, messages: batch(n) }).catch(() => null),
    );
    await until(() => gw.stats().waiting.translation >= 300 && gw.stats().requests >= 10, 10_000, '300 waiting calls');
    const submittedAt = Date.now();
    const learn = await gw.complete({
      lane: 'learning',
      task: 'learn',
      json: true,
      messages: [
        {
          role: 'user',
          content: 'Answer in JSON. ' + JSON.stringify({ product: 'p1', reviews: [{ rating: 5, text: 'Great battery life' }] }),
        },
      ],
    });
    expect(gw.stats().waiting.translation).toBeGreaterThan(250);
    await gw.close();
    await Promise.all(others);
    const arrivals = await sim.arrivals();
    const learnAt = arrivals.find((a) => a.task === 'learn')!.at;
    const slotMs = (cfg.llm.windowMs + cfg.llm.marginMs) / cfg.llm.qps;
    // at most the one permit already handed out when it was submitted went first
    expect(arrivals.filter((a) => a.task !== 'learn' && a.at > submittedAt && a.at < learnAt).length).toBeLessThanOrEqual(1);
    expect(learnAt - submittedAt).toBeLessThanOrEqual(slotMs + 100);
    expect(learn.attempts).toBe(1);
  }, 60_000);
});
