import { describe, expect, it } from 'vitest';
import { matchLabel, normKey, quoteHaystack, quoteIsGenuine } from '../../src/analysis/match.js';
import { emptyLabelMap, labelNames } from '../../src/analysis/label-cache.js';
import { checkInsights, mapThemes, planBatches, type ClaimedReview } from '../../src/analysis/extract.js';
import type { InsightItem, ReviewClass } from '../../src/domain.js';

function labelMap() {
  const m = emptyLabelMap();
  m.dimension = { 'Battery life': 1, 电池续航: 1, Packaging: 2, 包装: 2 };
  m.who = { 'Busy parents': 10, 忙碌的父母: 10 };
  m.why = { Gift: 11 };
  return m;
}

const row = (id: number, body: string, cls: ReviewClass = 'standard', product = 'P'): ClaimedReview =>
  ({ id, body, title: null, class: cls, product_id: product, ins_attempts: 0, thm_attempts: 0 }) as unknown as ClaimedReview;

describe('analysis matching', () => {
  it('labels match on name or Chinese name, ignoring case, white space and full-width forms', () => {
    const m = labelMap();
    expect(matchLabel(m, 'who', '  busy   PARENTS ')).toBe(10);
    expect(matchLabel(m, 'who', '忙碌的父母')).toBe(10);
    expect(matchLabel(m, 'dimension', 'ＢＡＴＴＥＲＹ life')).toBe(1);
    expect(matchLabel(m, 'who', 'Gift')).toBeNull(); // a label of another W does not match
    expect(matchLabel(m, 'why', 'gifts')).toBeNull();
  });

  it('prompts see one name per label, the English one', () => {
    expect(labelNames(labelMap(), 'dimension')).toEqual(['Battery life', 'Packaging']);
  });

  it('a quote is genuine when it is in the text after markup, white space and case are normalised', () => {
    const hay = quoteHaystack('The lid <b>broke</b>&nbsp;after\n a week.<br/>Otherwise &amp; fine.', 'Great title');
    expect(quoteIsGenuine(hay, 'the LID broke after a week')).toBe(true);
    expect(quoteIsGenuine(hay, '"The lid broke after a week."')).toBe(true);
    expect(quoteIsGenuine(hay, 'otherwise & fine')).toBe(true);
    expect(quoteIsGenuine(hay, 'great title')).toBe(true);
    expect(quoteIsGenuine(hay, 'The lid never broke')).toBe(false);
    expect(quoteIsGenuine(hay, '   ')).toBe(false);
    expect(normKey(' A\u3000B ')).toBe('a b');
  });

  it('checkInsights drops made-up quotes, caps the count and maps unknown dimensions to other', () => {
    const r = row(1, 'Battery lasts two days. The box was crushed. Love it. Cheap plastic.');
    const item = (quote: string, dimension = 'battery LIFE'): InsightItem => ({
      type: 'praise',
      dimension,
      sentiment: 'positive',
      quote,
      summary_zh: '摘要',
    });
    const { kept, dropped } = checkInsights(
      r as never,
      [
        item('Battery lasts two days.'),
        item('It cured my cold'),
        item('The box was crushed', '包装'),
        item('Love it', 'colour'),
        item('Cheap plastic'),
      ],
      labelMap(),
      3,
    );
    expect(dropped).toBe(1);
    expect(kept.map((k) => [k.quote, k.dimension])).toEqual([
      ['Battery lasts two days.', 'Battery life'],
      ['The box was crushed', 'Packaging'],
      ['Love it', 'other'],
    ]);
  });

  it('theme tags map to label ids per W, unknown tags stay unmapped, repeats count once', () => {
    const tags = mapThemes({ who: ['busy parents', 'Busy Parents', 'Students'], what: [], when: [], where: [], why: ['gift'] }, labelMap());
    expect(tags).toEqual([
      { w: 'who', tag: 'busy parents', labelId: 10 },
      { w: 'who', tag: 'Students', labelId: null },
      { w: 'why', tag: 'gift', labelId: 11 },
    ]);
  });

  it('batches hold one product and one class, sized per class', () => {
    const rows = [
      ...Array.from({ length: 23 }, (_, i) => row(i, 'x', 'short')),
      ...Array.from({ length: 7 }, (_, i) => row(100 + i, 'x', 'standard')),
      ...Array.from({ length: 2 }, (_, i) => row(200 + i, 'x', 'vip')),
      row(300, 'x', 'short', 'Q'),
    ];
    const batches = planBatches(rows, { vip: 1, standard: 3, short: 10 });
    expect(batches.map((b) => `${b[0].product_id}:${b[0].class}:${b.length}`)).toEqual([
      'P:short:10',
      'P:short:10',
      'P:short:3',
      'P:standard:3',
      'P:standard:3',
      'P:standard:1',
      'P:vip:1',
      'P:vip:1',
      'Q:short:1',
    ]);
    for (const b of batches) expect(new Set(b.map((r) => `${r.product_id}:${r.class}`)).size).toBe(1);
  });
});
