import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { insertReviews } from '../../src/store/insert.js';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import { simTranslation } from '../../src/llm/tasks.js';
import { normaliseForPrompt } from '../../src/text.js';
import { convertChinese, detectLanguage, guessLanguage } from '../../src/language.js';
import { languageName } from '../../src/llm/prompts/translate.js';
import { createTranslationService } from '../../src/translate/service.js';
import { TranslationEstimator } from '../../src/translate/estimate.js';
import { buildReport } from '../../src/report/aggregates.js';
import { review, simGateway, testContext } from './translate-fixtures.js';
import { multilingualReviews } from '../helpers/multilingual.js';

const fast = { 'simulator.latencyMs': 5, 'daemon.leaseMs': 60000 };
const HAN = /\p{Script=Han}/u;

describe.each(DATABASES)('every language a seller meets, on %s', (kind) => {
  let db: TestDb;
  let sim: Simulator | null = null;
  afterEach(async () => {
    await sim?.close();
    sim = null;
    await db?.cleanup();
  });

  it('1,080 reviews in nine languages: every non-Chinese one translated, Simplified skipped, Traditional converted without a call', async () => {
    db = await openTestDb(kind, fast);
    sim = await startSimulator({ port: 0, limit: 1000, latencyMs: 5, seed: 3 });
    const gateway = simGateway(sim.url);
    const set = multilingualReviews(1080);
    await insertReviews(
      db.store,
      set.map((r, i) => ({ ...review(r.body, { rating: r.rating, id: `m${i}` }), language: guessLanguage(r.body) })),
    );
    const estimate = new TranslationEstimator(db.config);
    for (const r of set) estimate.add(r);
    const est = estimate.result();

    const summary = await createTranslationService(testContext(db.config, db.store, gateway)).runJob(
      { id: 1, kind: 'translate', productId: null, params: {} },
      () => {},
    );
    const count = (lang: string) => set.filter((r) => r.lang === lang).length;
    expect(summary).toMatchObject({ failed: 0, skipped: count('zh'), converted: count('zh-Hant'), translated: set.length - count('zh') });

    const rows: Array<{ review_id: string; body: string; body_zh: string; tr_status: string; tr_source: string | null; language: string }> =
      await db.store.knex('reviews').select('review_id', 'body', 'body_zh', 'tr_status', 'tr_source', 'language');
    const lang = new Map(set.map((r, i) => [`m${i}`, r.lang]));
    for (const r of rows) {
      const l = lang.get(r.review_id)!;
      expect(r.language, r.body).toBe(l);
      if (l === 'zh') expect([r.tr_status, r.tr_source, r.body_zh]).toEqual(['skipped', null, r.body]);
      else if (l === 'zh-Hant') {
        expect([r.tr_status, r.tr_source]).toEqual(['done', 'opencc']);
        expect(r.body_zh).toBe(convertChinese(r.body, 'zh-CN'));
        expect(r.body_zh).not.toBe(r.body);
      } else {
        expect([r.tr_status, r.tr_source], r.body).toEqual(['done', 'llm']);
        expect(r.body_zh).toBe(simTranslation(normaliseForPrompt(r.body)));
      }
    }
    // no Chinese text reached the model; every Japanese and Korean text did
    const sent = gateway.requests.flatMap((q) => {
      const user = q.messages.find((m) => m.role === 'user')!.content;
      return q.task === 'translate_batch' ? Object.values(JSON.parse(user) as Record<string, string>) : [user];
    });
    expect(sent.filter((t) => HAN.test(t) && !/[\p{Script=Hiragana}\p{Script=Katakana}ー\p{Script=Hangul}]/u.test(t))).toEqual([]);
    expect(new Set(sent).size).toBe(set.length - count('zh') - count('zh-Hant'));
    // the prompt names the language of a call whose texts are all surely in it, and no language otherwise
    let named = 0;
    for (const q of gateway.requests) {
      const user = q.messages.find((m) => m.role === 'user')!.content;
      const texts = q.task === 'translate_batch' ? Object.values(JSON.parse(user) as Record<string, string>) : [user];
      const langs = new Set(texts.map((t) => detectLanguage(t)).map((d) => (d.confident ? d.lang : 'und')));
      const sentence = /原文是(.+?)。/.exec(q.messages[0].content)?.[1];
      if (langs.size === 1 && !langs.has('und')) {
        expect(sentence, texts.join(' | ')).toBe(languageName([...langs][0]).zh);
        named++;
      } else expect(sentence, texts.join(' | ')).toBeUndefined();
    }
    expect(named).toBeGreaterThan(gateway.requests.length / 3);
    expect(gateway.requests.some((q) => q.task === 'translate_batch' && q.messages[0].content.includes('原文是韩文。'))).toBe(true);

    // the estimate said the same before anything ran
    expect(est.converted).toBe(count('zh-Hant'));
    expect(est.noCall).toBe(count('zh'));
    expect(est.texts).toBe(set.length - count('zh') - count('zh-Hant'));
    expect(Object.fromEntries(est.languages.map((l) => [l.lang, [l.reviews, l.sent, l.skipped, l.converted]]))).toMatchObject({
      ja: [count('ja'), count('ja'), 0, 0],
      zh: [count('zh'), 0, count('zh'), 0],
      'zh-Hant': [count('zh-Hant'), 0, 0, count('zh-Hant')],
    });

    // and the report shows the mix with what was done
    const report = await buildReport(db.store, { all: true });
    const mix = Object.fromEntries(report.overview!.languages.map((l) => [l.name, [l.reviews, l.translated, l.converted, l.skipped]]));
    expect(mix).toMatchObject({
      ko: [count('ko'), count('ko'), 0, 0],
      zh: [count('zh'), 0, 0, count('zh')],
      'zh-Hant': [count('zh-Hant'), 0, count('zh-Hant'), 0],
    });
  });

  it('reviews the old rule skipped are queued again by the migration and translated now', async () => {
    db = await openTestDb(kind, fast);
    sim = await startSimulator({ port: 0, limit: 1000, latencyMs: 5, seed: 3 });
    await insertReviews(db.store, [review('配送が早かった、説明'), review('这个产品很好')]);
    await db.store.knex('reviews').update({ tr_status: 'skipped', body_zh: db.store.knex.ref('body') });
    // run the migration's step again, as an upgraded store would
    const { up } = await import('../../src/store/migrations/20261130090000_translation_source.js');
    await db.store.knex.schema.alterTable('reviews', (t) => t.dropColumn('tr_source'));
    await up(db.store.knex);
    const summary = await createTranslationService(testContext(db.config, db.store, simGateway(sim.url))).runJob(
      { id: 1, kind: 'translate', productId: null, params: {} },
      () => {},
    );
    expect(summary).toMatchObject({ translated: 1, skipped: 1, calls: 1 });
    const ja = await db.store.knex('reviews').where('body', '配送が早かった、説明').first();
    expect(ja.body_zh).toBe(simTranslation('配送が早かった、説明'));
  });
});
