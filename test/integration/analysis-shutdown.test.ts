import { afterEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/databases.js';
import { fakeGateway, makeCtx, seed } from './analysis-fixtures.js';
import { createAnalysisService } from '../../src/analysis/service.js';
import { learnState } from '../../src/store/labels.js';
import type { Gateway } from '../../src/llm/types.js';

const noop = () => {};

/** A gateway whose calls fail once the daemon started draining, as the real one's do when its signal aborts. */
function drainingGateway(inner: Gateway, ac: AbortController, abortAtCall: number): Gateway {
  let n = 0;
  return {
    ...inner,
    async complete(req) {
      if (++n === abortAtCall) ac.abort();
      if (ac.signal.aborted) throw new Error('the request was aborted');
      return inner.complete(req);
    },
  };
}

describe('analysis during a shutdown', () => {
  let db: TestDb;
  afterEach(async () => db && (await db.cleanup()));

  it('reviews whose calls were cut short go back untried; the job is not reported done', async () => {
    db = await openTestDb('sqlite', { 'analysis.batchSize': { vip: 1, standard: 1, short: 1 } });
    await seed(db.config, db.store, 'P1', 30);
    const ac = new AbortController();
    const ctx = makeCtx(db.config, db.store, drainingGateway(fakeGateway(db.config), ac, 12), { signal: ac.signal });
    const svc = createAnalysisService(ctx);
    await expect(svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop)).rejects.toThrow(/stopping/);
    const rows = await db.store.knex('reviews').select('ins_status', 'ins_attempts', 'thm_status', 'thm_attempts');
    for (const r of rows) {
      expect(['done', 'pending']).toContain(r.ins_status);
      expect(['done', 'pending']).toContain(r.thm_status);
      if (r.ins_status === 'pending') expect(r.ins_attempts).toBe(0);
      if (r.thm_status === 'pending') expect(r.thm_attempts).toBe(0);
    }
    expect(rows.some((r) => r.ins_status === 'pending')).toBe(true);
  });

  it('learning cut short by a shutdown leaves the product unlearned, not failed', async () => {
    db = await openTestDb('sqlite');
    await seed(db.config, db.store, 'P1', 8);
    const ac = new AbortController();
    const ctx = makeCtx(db.config, db.store, drainingGateway(fakeGateway(db.config), ac, 1), { signal: ac.signal });
    const svc = createAnalysisService(ctx);
    await expect(svc.runJob({ id: 1, kind: 'learn', productId: 'P1', params: {} }, noop)).rejects.toThrow();
    expect(await learnState(db.store, 'P1')).toMatchObject({ status: 'none', error: null, learnedAt: null });
  });
});
