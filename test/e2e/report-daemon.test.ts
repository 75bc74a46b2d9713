import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { repoRoot, voc } from '../helpers/cli.js';

describe('voc report with a daemon running', () => {
  const h = tempHome('rpd');
  afterAll(async () => {
    await voc(h.home, ['daemon', 'stop']);
    h.cleanup();
  });

  it('is built on the reports lane of the base pool, and gives the same report as reading the store directly', async () => {
    // nothing may change the store between the two reports: no automatic learning, no automatic translation
    writeFileSync(
      path.join(h.home, 'config.json'),
      JSON.stringify({ analysis: { autoLearn: false }, beat: { checkPendingTranslations: false } }),
    );
    expect((await voc(h.home, ['ingest', path.join(repoRoot, 'samples', 'demo-reviews.csv'), '--direct'])).code).toBe(0);
    const direct = await voc(h.home, ['report', 'VOC-TEA-03', '--format', 'json']);
    expect(direct.code).toBe(0);
    expect((await voc(h.home, ['daemon', 'start'])).code).toBe(0);
    const viaLane = await voc(h.home, ['report', 'VOC-TEA-03', '--format', 'json']);
    expect(viaLane.code).toBe(0);
    const strip = (t: string) => ({ ...JSON.parse(t), generatedAt: null });
    expect(strip(viaLane.stdout)).toEqual(strip(direct.stdout));
    const jobs = JSON.parse((await voc(h.home, ['jobs', '--json'])).stdout);
    expect(
      jobs.jobs.some(
        (j: { kind: string; lane: string; status: string }) => j.kind === 'report' && j.lane === 'reports' && j.status === 'done',
      ),
    ).toBe(true);
    const st = JSON.parse((await voc(h.home, ['status', '--json'])).stdout);
    expect(st.lanes.reports.done).toBeGreaterThanOrEqual(1);
    const unknown = await voc(h.home, ['report', 'NO-SUCH-PRODUCT']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown product "NO-SUCH-PRODUCT"');
  });
});
