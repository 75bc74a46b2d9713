import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { voc } from '../helpers/cli.js';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import { textOf } from '../integration/translate-fixtures.js';

/**
 * Spend only on what was asked: with the shipped defaults, ingesting and translating makes no learning call; the
 * products are learned when analysis is asked for. Counted at the simulator, an OpenAI-compatible server outside
 * the daemon.
 */
describe('defaults: translations only pay for translations', () => {
  const h = tempHome('sd');
  let sim: Simulator;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, limit: 500, latencyMs: 5, seed: 5 });
    env = { VOC_LLM_BASE_URL: sim.url, VOC_LLM_API_KEY: 'sk-spend-test', VOC_QPS: '200' };
    // only test plumbing here; analysis.autoLearn and analysis.autoAfterTranslation keep their defaults
    writeFileSync(path.join(h.home, 'config.json'), JSON.stringify({ daemon: { heartbeatMs: 200, shutdownTimeoutMs: 2000 } }));
  });
  afterAll(async () => {
    await voc(h.home, ['daemon', 'stop'], { env });
    await sim.close();
    h.cleanup();
  });

  it('ingest says what learning would cost, translate-pending makes no learning call, analyze learns first', async () => {
    const file = path.join(h.home, 'r.csv');
    const rows = ['review_id,product_id,rating,body'];
    for (let i = 0; i < 24; i++) rows.push(`${i},${i < 20 ? 'BIG' : 'SMALL'},${(i % 5) + 1},"${textOf(60 + (i % 3) * 40, i)}"`);
    writeFileSync(file, rows.join('\n'));

    const ing = await voc(h.home, ['ingest', file], { env });
    expect(ing.code, ing.stderr).toBe(0);
    expect(ing.stdout).toMatch(
      /2 new products; learning the 1 with 5\+ reviews takes 1 calls, ~0\.\d+ CNY, when you run `voc analyze` or `voc learn`/,
    );
    const tr = await voc(h.home, ['translate-pending', '--wait', '--json'], { env });
    expect(tr.code, tr.stderr).toBe(0);
    expect(JSON.parse(tr.stdout)).toMatchObject({ translated: 24, failed: 0 });
    expect(sim.stats().byTask.learn ?? 0).toBe(0);
    expect(sim.stats().byTask.translate_batch).toBeGreaterThan(0);

    const an = await voc(h.home, ['analyze', 'BIG', '--wait', '--json'], { env, timeout: 60_000 });
    expect(an.code, an.stderr).toBe(0);
    expect(sim.stats().byTask.learn).toBe(1);
    const order = sim
      .arrivals()
      .filter((a) => a.task !== 'translate_batch' && a.task !== 'translate_single')
      .map((a) => a.task);
    expect(order[0]).toBe('learn');
  });
});
