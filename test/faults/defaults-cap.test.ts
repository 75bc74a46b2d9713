import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { voc } from '../helpers/cli.js';
import { tempHome, testConfig } from '../helpers/home.js';
import { hasPg, hasRedis, pgTestUrl, REDIS_URL, redisTestPrefix } from '../helpers/services.js';
import { openStore, type Store } from '../../src/store/db.js';
import { simTranslation } from '../../src/llm/tasks.js';
import { normaliseForPrompt } from '../../src/text.js';
import { FAKE_KEY, makeCluster, startSim, until, type SimProcess } from './cluster-harness.js';
import { generateReviews, writeReviewsCsv } from './reviews.js';

/**
 * The cap on the path a user runs with the defaults (margin included): automatic learning of new products on,
 * `voc analyze --all` started while translation runs, and the simulator answering a share of every kind of JSON
 * prompt (learning, insights, themes, batch translation) with malformed JSON, so retries mix with first attempts.
 * The provider counts arrivals: never more than 25 in any 1000 ms, never a 429; every review translated once, with
 * its own text. One daemon on the embedded defaults, then two daemons sharing PostgreSQL and Redis.
 */
const N = 200;
const LIMIT = 25;

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (err) {
      console.warn(`[voc faults] cleanup step failed: ${(err as Error).message}`);
    }
  }
});

async function run(daemons: number, env: NodeJS.ProcessEnv, extraConfig: Record<string, unknown>, storeUrl: string | null) {
  const scratch = tempHome('dc');
  cleanups.push(() => scratch.cleanup());
  const sim: SimProcess = await startSim(
    ['--limit', String(LIMIT), '--latency-ms', '300', '--malformed-rate', '0.2', '--seed', '11'],
    scratch.home,
  );
  cleanups.push(() => sim.child.kill('SIGKILL'));
  // automatic learning on explicitly: the path under test, whatever its default becomes
  const cluster = makeCluster(daemons, {
    env: { ...env, VOC_LLM_BASE_URL: sim.url, VOC_LLM_API_KEY: FAKE_KEY },
    config: { analysis: { autoLearn: true }, ...extraConfig },
  });
  cleanups.push(
    () => cluster.cleanup(),
    () => cluster.stopAll(),
  );
  const started = await Promise.all(Array.from({ length: daemons }, (_, i) => cluster.start(i)));
  const cli = (i: number, args: string[]) => voc(started[i].home, args, { env: cluster.env, timeout: 400_000 });

  const file = path.join(scratch.home, 'reviews.csv');
  writeReviewsCsv(file, generateReviews(N, `d${daemons}-`));
  const ing = await cli(0, ['ingest', file, '--json']);
  expect(ing.code, ing.stderr).toBe(0);
  const tr = cli(0, ['translate-pending', '--wait', '--json']);
  const an = cli(daemons - 1, ['analyze', '--all', '--wait', '--json']);
  const [t, a] = await Promise.all([tr, an]);
  // exit 1 says some reviews failed this run: with a fifth of the answers malformed, a text split down to a single
  // call fails its four asks now and then (0.2^4 each). That is the documented outcome, not a broken promise: the
  // user runs translate-pending again, as the summary says, and every review must still end translated once with
  // its own text (below)
  expect([0, 1], `${t.stderr} ${t.stdout}`.slice(-3000)).toContain(t.code);
  for (let again = t, tries = 0; again.code === 1 && tries < 3; tries++) {
    expect((JSON.parse(again.stdout) as { failed?: number }).failed ?? 0, again.stdout).toBeGreaterThan(0);
    again = await cli(0, ['translate-pending', '--wait', '--json']);
    expect([0, 1], `${again.stderr} ${again.stdout}`.slice(-3000)).toContain(again.code);
  }
  expect(a.code, a.stderr).not.toBe(2);

  const store: Store = await openStore(testConfig(storeUrl ? scratch.home : started[0].home, { databaseUrl: storeUrl }), {
    migrate: false,
  });
  cleanups.push(() => store.close());
  // --wait follows its own run; a run the beat started on new reviews may still hold a few claims
  await until(
    'every translate run ended',
    async () => {
      const open = await store.knex('jobs').where({ kind: 'translate' }).whereIn('status', ['queued', 'running']).first();
      const held = await store.knex('reviews').where('tr_status', 'in_progress').first();
      return !open && !held;
    },
    300_000,
    250,
  );
  const rows: Array<{ body: string; body_zh: string | null; tr_status: string }> = await store
    .knex('reviews')
    .select('body', 'body_zh', 'tr_status');
  const jobs: Array<{ result: string | null }> = await store.knex('jobs').where({ kind: 'translate' }).select('result');
  const translatedByJobs = jobs.reduce(
    (sum, j) => sum + Number((JSON.parse(j.result ?? '{}') as { translated?: number }).translated ?? 0),
    0,
  );
  const s = await sim.stats();
  console.log(
    `[voc faults] defaults, ${daemons} daemon(s): ${JSON.stringify({ requests: s.requests, max_arrivals_in_1s: s.max_arrivals_in_1s, rejected429: s.rejected429, malformed: s.malformed, byTask: s.byTask, translatedByJobs })}`,
  );

  // retries really mixed with first attempts on every kind of JSON prompt
  for (const task of ['learn', 'insights', 'themes', 'translate_batch']) expect(s.byTask[task] ?? 0, task).toBeGreaterThan(0);
  expect(s.malformed).toBeGreaterThan(0);
  // the provider's view
  expect(s.max_arrivals_in_1s).toBeLessThanOrEqual(LIMIT);
  expect(s.rejected429).toBe(0);
  // every review translated once, with its own text
  expect(rows).toHaveLength(N);
  const wrong = rows.filter((r) => r.tr_status !== 'done' || r.body_zh !== simTranslation(normaliseForPrompt(r.body)));
  expect(wrong.slice(0, 5), `${wrong.length} reviews not translated with their own text`).toEqual([]);
  // no review translated twice (reviews answered from the cache are not counted as translated)
  expect(translatedByJobs).toBeLessThanOrEqual(N);
}

describe('the defaults under retries on every kind of prompt', () => {
  it('one daemon: at most 25 arrivals in any second, no 429, every review translated once with its own text', async () => {
    await run(1, {}, {}, null);
  });

  it.skipIf(!hasPg || !hasRedis)('two daemons on PostgreSQL and Redis: the same promises across both', async () => {
    const pgu = pgTestUrl('dcap');
    const rp = redisTestPrefix('dcap');
    cleanups.push(
      () => pgu.drop(),
      () => rp.cleanup(),
    );
    await run(2, { VOC_DATABASE_URL: pgu.url, VOC_REDIS_URL: REDIS_URL }, { redis: { keyPrefix: rp.prefix } }, pgu.url);
  });
});
