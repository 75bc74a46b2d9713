import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { repoRoot, voc as vocCli } from '../helpers/cli.js';

const voc = (home: string, args: string[], timeout?: number) => vocCli(home, args, { timeout });
const sample = path.join(repoRoot, 'samples', 'demo-reviews.csv');

describe('voc learn and voc analyze from the command line', () => {
  const h = tempHome('ac');
  beforeAll(async () => {
    // the built-in simulator, fast, and no automatic learning so `voc learn` does the work
    writeFileSync(
      path.join(h.home, 'config.json'),
      JSON.stringify({ simulator: { latencyMs: 5, limit: 200 }, analysis: { autoLearn: false } }),
    );
  }, 120_000);
  afterAll(async () => {
    await voc(h.home, ['daemon', 'stop']);
    h.cleanup();
  });

  it.skipIf(!existsSync(sample))('ingest, learn --wait --json, analyze --wait --json, without a terminal', async () => {
    const ing = await voc(h.home, ['ingest', sample, '--json']);
    expect(ing.code, ing.stderr).toBe(0);
    const learn = await voc(h.home, ['learn', 'VOC-KETTLE-01', '--wait', '--json']);
    expect(learn.code, learn.stderr).toBe(0);
    const l = JSON.parse(learn.stdout);
    expect(l).toMatchObject({ productId: 'VOC-KETTLE-01', outcome: 'learned', simulated: true });
    expect(l.dimensions).toBeGreaterThan(0);
    const again = await voc(h.home, ['learn', 'VOC-KETTLE-01', '--wait']);
    expect(again.stdout).toMatch(/already learned; --force relearns it/);
    const an = await voc(h.home, ['analyze', 'VOC-KETTLE-01', '--wait', '--json']);
    expect(an.code, an.stderr).toBe(0);
    const s = JSON.parse(an.stdout);
    expect(Object.keys(s)).toEqual([
      'job',
      'reviews',
      'insights',
      'themes',
      'unmapped',
      'droppedQuotes',
      'failed',
      'calls',
      'promptTokens',
      'completionTokens',
      'cost',
      'simulated',
      'skipped',
    ]);
    expect(s.reviews).toBeGreaterThan(0);
    expect(s.failed).toBe(0);
    const human = await voc(h.home, ['analyze', 'VOC-KETTLE-01', '--wait']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^analysed 0 reviews of VOC-KETTLE-01 \(simulated\)/);
    expect(human.stdout).not.toMatch(/\u001b\[/); // no bar, no colours off a terminal
  });

  it('an unknown product fails at once with a one-line reason, with or without --wait, and no job is queued', async () => {
    const ids = async () => (JSON.parse((await voc(h.home, ['jobs', '--json'])).stdout).jobs as Array<{ id: number }>).map((j) => j.id);
    const before = await ids();
    for (const args of [
      ['learn', 'NO-SUCH-PRODUCT', '--wait'],
      ['learn', 'NO-SUCH-PRODUCT'],
      ['analyze', 'NO-SUCH-PRODUCT'],
    ]) {
      const r = await voc(h.home, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^voc: no product NO-SUCH-PRODUCT in the store\nhint: ids are as the ingested file has them/);
    }
    expect(await ids()).toEqual(before);
    const u = await voc(h.home, ['analyze']);
    expect(u.code).not.toBe(0);
    expect(u.stderr).toMatch(/name a product, or pass --all/);
  });
});
