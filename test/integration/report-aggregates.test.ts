import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { buildReport } from '../../src/report/aggregates.js';
import { VocError } from '../../src/errors.js';
import { loadReportFixture, XSS_IMG, XSS_SCRIPT } from './report-fixture.js';

describe.each(DATABASES)('report aggregates on %s', (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb(kind);
    await loadReportFixture(db.store);
  });
  afterAll(async () => db && (await db.cleanup()));

  it('the overview matches the hand-computed figures of the fixture product', async () => {
    const d = await buildReport(db.store, { productId: 'P1' }, { currency: 'CNY' });
    expect(d.schemaVersion).toBe(1);
    expect(d.product).toEqual({ id: 'P1', title: 'Earbuds <b>X</b>', learnStatus: 'done' });
    expect(d.overview).toEqual({
      reviews: 6,
      averageRating: 3.33,
      ratings: { '1': 1, '2': 1, '3': 1, '4': 1, '5': 2 },
      byMonth: [
        { month: '2024-01', reviews: 2, averageRating: 4.5 },
        { month: '2024-02', reviews: 2, averageRating: 1.5 },
        { month: '2024-03', reviews: 1, averageRating: 3 },
      ],
      undated: 1,
      translated: { reviews: 5, share: 0.8333 },
      analysed: { reviews: 4, share: 0.6667 },
      themed: { reviews: 3, share: 0.5 },
      marketplaces: [
        { name: 'amazon', reviews: 4, share: 0.6667 },
        { name: 'ebay', reviews: 2, share: 0.3333 },
      ],
      languages: [
        { name: 'en', reviews: 4, share: 0.6667, translated: 3, converted: 0, skipped: 1 },
        { name: 'de', reviews: 1, share: 0.1667, translated: 1, converted: 0, skipped: 0 },
        { name: 'und', reviews: 1, share: 0.1667, translated: 0, converted: 0, skipped: 0 },
      ],
    });
    expect(d.cost).toEqual({
      calls: 2,
      promptTokens: 300,
      completionTokens: 150,
      totalTokens: 450,
      cost: 0.003,
      currency: 'CNY',
      simulatedCalls: 0,
      realtime: { calls: 1, promptTokens: 100, completionTokens: 50, cost: 0.001 },
      batch: { calls: 1, promptTokens: 200, completionTokens: 100, cost: 0.002 },
    });
    expect(d.hasAnalysis).toBe(true);
    expect(d.notices.join(' ')).toMatch(/Insights cover 4 of 6 reviews/);
  });

  it('dimensions count insights by type and sentiment and quote the longest of the dominant sentiment', async () => {
    const d = await buildReport(db.store, { productId: 'P1' });
    const brief = d.dimensions.map((x) => [
      x.name,
      x.learned,
      x.insights,
      x.painPoints,
      x.praise,
      x.positive,
      x.neutral,
      x.negative,
      x.netSentiment,
    ]);
    expect(brief).toEqual([
      ['battery', true, 5, 2, 2, 2, 1, 2, 0],
      ['fit', true, 4, 2, 1, 1, 1, 2, -0.25],
      ['noise', false, 1, 1, 0, 0, 0, 1, -1],
      ['packaging', true, 0, 0, 0, 0, 0, 0, null],
    ]);
    expect(d.dimensions[0].nameZh).toBe('电池');
    // a tie between negative and positive quotes the negative side, longest first
    expect(d.dimensions[0].quotes.map((q) => q.quote)).toEqual([`${XSS_IMG} battery died fast`, `${XSS_SCRIPT} battery died`]);
    expect(d.dimensions[1].quotes.map((q) => [q.quote, q.summaryZh])).toEqual([
      ['A bit tight on the ear', '有点紧'],
      ['Too tight', '有点紧'],
    ]);
  });

  it('pain points and feature requests are ranked by distinct reviews with those reviews’ stars', async () => {
    const d = await buildReport(db.store, { productId: 'P1' });
    expect(d.painPoints.groups).toBe(3);
    expect(d.painPoints.items.map((i) => [i.rank, i.dimension, i.key, i.reviews, i.ratings])).toEqual([
      [1, 'fit', '有点紧', 2, { '1': 0, '2': 1, '3': 0, '4': 1, '5': 0 }],
      [2, 'battery', '电池坏了', 2, { '1': 1, '2': 1, '3': 0, '4': 0, '5': 0 }],
      [3, 'noise', 'noisy', 1, { '1': 0, '2': 1, '3': 0, '4': 0, '5': 0 }],
    ]);
    expect(d.painPoints.items[0].quote).toBe('A bit tight on the ear');
    expect(d.featureRequests.items.map((i) => [i.dimension, i.summaryZh, i.reviews])).toEqual([
      ['battery', '希望电池更大', 1],
      ['fit', '希望更多尺寸', 1],
    ]);
  });

  it('the 5W profile gives each learned label its share of themed reviews and counts unmapped tags', async () => {
    const d = await buildReport(db.store, { productId: 'P1' });
    const byW = Object.fromEntries(d.fiveW.map((w) => [w.w, w]));
    expect(d.fiveW.map((w) => w.w)).toEqual(['who', 'what', 'when', 'where', 'why']);
    expect(byW.who.base).toBe(3);
    expect(byW.who.labels).toEqual([
      { name: 'parents', nameZh: '父母', reviews: 2, share: 0.6667 },
      { name: 'runners', nameZh: '跑步者', reviews: 1, share: 0.3333 },
    ]);
    expect(byW.what.labels).toEqual([{ name: 'commuting', nameZh: '通勤', reviews: 1, share: 0.3333 }]);
    expect([byW.who.unmappedTags, byW.what.unmappedTags, byW.where.unmappedTags, byW.when.unmappedTags]).toEqual([0, 1, 1, 0]);
  });

  it('--since keeps the period and compares it with the period of equal length before', async () => {
    const d = await buildReport(db.store, { productId: 'P1', since: '2024-02-01', until: '2024-02-29' });
    expect(d.overview!.reviews).toBe(2);
    expect(d.overview!.ratings).toEqual({ '1': 1, '2': 1, '3': 0, '4': 0, '5': 0 });
    expect(d.painPoints.items.map((i) => [i.dimension, i.reviews])).toEqual([
      ['battery', 2],
      ['fit', 1],
      ['noise', 1],
    ]);
    expect(d.comparison).toEqual({
      current: { from: '2024-02-01', to: '2024-02-29', reviews: 2, averageRating: 1.5, painPoints: 4 },
      previous: { from: '2024-01-03', to: '2024-01-31', reviews: 2, averageRating: 4.5, painPoints: 1 },
      painPointsByDimension: [
        { dimension: 'battery', current: 2, previous: 0 },
        { dimension: 'fit', current: 1, previous: 1 },
        { dimension: 'noise', current: 1, previous: 0 },
      ],
    });
  });

  it('a product with one review and no analysis yields a report that says so', async () => {
    const d = await buildReport(db.store, { productId: 'P2' });
    expect(d.overview!.reviews).toBe(1);
    expect(d.overview!.averageRating).toBe(4);
    expect(d.hasAnalysis).toBe(false);
    expect(d.dimensions).toEqual([]);
    expect(d.notices[0]).toMatch(/No analysis yet for P2/);
    expect(d.cost.calls).toBe(1);
  });

  it('an unknown product is a user error naming it', async () => {
    const err = await buildReport(db.store, { productId: 'NOPE' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VocError);
    expect((err as VocError).exitCode).toBe(1);
    expect((err as VocError).message).toContain('"NOPE"');
    await expect(buildReport(db.store, { productId: 'P1', since: '2024-13-01' })).rejects.toThrow(/YYYY-MM-DD/);
  });

  it('--all gives one overview row per product and the total cost', async () => {
    const d = await buildReport(db.store, { all: true });
    expect(d.kind).toBe('all');
    expect(d.overview!.reviews).toBe(7);
    expect(d.products).toEqual([
      {
        productId: 'P1',
        title: 'Earbuds <b>X</b>',
        reviews: 6,
        averageRating: 3.33,
        translatedShare: 0.8333,
        analysedShare: 0.6667,
        painPoints: 5,
        cost: 0.003,
      },
      { productId: 'P2', title: null, reviews: 1, averageRating: 4, translatedShare: 0, analysedShare: 0, painPoints: 0, cost: 0.0001 },
    ]);
    expect(d.cost.calls).toBe(4);
  });
});
