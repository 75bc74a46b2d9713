import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { hasPg, PG_BASE, pgTestUrl } from '../helpers/services.js';
import { startTcpProxy, viaProxy } from '../helpers/tcp-proxy.js';
import { openStore, type Store } from '../../src/store/db.js';
import { insertReviews } from '../../src/store/insert.js';
import { startSimulator } from '../../src/llm/simulator/index.js';
import { createTranslationService } from '../../src/translate/service.js';
import { seedExample, simGateway, testContext } from './translate-fixtures.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => Promise<boolean>, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!hasPg)('translation through a PostgreSQL outage', () => {
  it('translations that come back while the store is cut off are written once it is back, with no second call', async () => {
    const pgu = pgTestUrl('to');
    const h = tempHome('to');
    const target = new URL(PG_BASE);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    // the model answers slowly: the outage starts while every call of the run is out
    const sim = await startSimulator({ port: 0, limit: 1000, latencyMs: 1500, seed: 7 });
    cleanups.push(
      () => h.cleanup(),
      () => pgu.drop(),
      () => proxy.close(),
      () => sim.close(),
    );
    const direct: Store = await openStore(testConfig(h.home, { databaseUrl: pgu.url }));
    cleanups.push(() => direct.close());
    const config = testConfig(h.home, { databaseUrl: viaProxy(pgu.url, proxy), overrides: { 'daemon.leaseMs': 60000 } });
    const store = await openStore(config);
    cleanups.push(() => store.close());
    await insertReviews(direct, seedExample());

    const run = createTranslationService(testContext(config, store, simGateway(sim.url))).runJob(
      { id: 1, kind: 'translate', productId: null, params: {} },
      () => {},
    );
    await until(async () => sim.stats().requests >= 19);
    // the run's own queries after sending (one more claim, finding nothing) are done well before the answers
    await new Promise((r) => setTimeout(r, 500));
    proxy.cut();
    await new Promise((r) => setTimeout(r, 3000));
    proxy.restore();
    await run;

    const rows = await direct.knex('reviews').select('tr_status', 'body_zh');
    expect(rows.filter((r: { tr_status: string }) => r.tr_status !== 'done')).toEqual([]);
    expect(rows.every((r: { body_zh: string | null }) => !!r.body_zh)).toBe(true);
    // the seed example takes 19 calls; none was made again
    expect(sim.stats().requests).toBe(19);
  });
});
