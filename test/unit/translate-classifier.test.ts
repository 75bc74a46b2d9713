import { describe, expect, it } from 'vitest';
import { classify, classifyTitle } from '../../src/translate/classifier.js';
import { packAll, Packer, type PackingOptions } from '../../src/translate/packing.js';
import { estimateTokens } from '../../src/translate/tokens.js';
import type { ReviewClass } from '../../src/domain.js';

const rules = { vipLength: 200, vipExtremeLength: 100, extremeRatings: [1, 5], shortMaxLength: 50 };
const text = (n: number) => 'a'.repeat(n);

describe('classifier boundary table (code points, the seed rules)', () => {
  const table: Array<[number, number, string]> = [
    [50, 1, 'short'],
    [50, 3, 'short'],
    [50, 5, 'short'],
    [51, 1, 'standard'],
    [51, 3, 'standard'],
    [51, 5, 'standard'],
    [100, 1, 'standard'],
    [100, 3, 'standard'],
    [100, 5, 'standard'],
    [101, 1, 'vip'],
    [101, 3, 'standard'],
    [101, 5, 'vip'],
    [200, 1, 'vip'],
    [200, 3, 'standard'],
    [200, 5, 'vip'],
    [201, 1, 'vip'],
    [201, 3, 'vip'],
    [201, 5, 'vip'],
  ];
  it.each(table)('length %i with rating %i is %s', (len, rating, cls) => {
    expect(classify(text(len), rating, rules)).toBe(cls);
  });

  it('counts an emoji of two UTF-16 units as one code point', () => {
    const body = '😀'.repeat(50);
    expect(body.length).toBe(100);
    expect(classify(body, 3, rules)).toBe('short');
    expect(classify('😀'.repeat(101), 5, rules)).toBe('vip');
    expect(classify('😀'.repeat(101), 3, rules)).toBe('standard');
  });

  it('never promotes a title by its rating', () => {
    expect(classifyTitle(text(120), rules)).toBe('standard');
    expect(classifyTitle('Great', rules)).toBe('short');
  });
});

const seedOpts: PackingOptions = {
  profile: 'seed',
  sizes: { vip: 1, standard: 5, short: 20 },
  tokenBudget: 2000,
  batchPromptTokens: 80,
  singlePromptTokens: 120,
};
const items = (cls: ReviewClass, n: number, tokens: number) => Array.from({ length: n }, () => ({ cls, tokens }));

describe('packing', () => {
  it('the seed example: 10 vip, 30 standard, 60 short take exactly 19 calls, short first', () => {
    const batches = packAll([...items('vip', 10, 70), ...items('standard', 30, 30), ...items('short', 60, 10)], seedOpts);
    expect(batches).toHaveLength(19);
    expect(batches.map((b) => b.cls)).toEqual([...Array(3).fill('short'), ...Array(6).fill('standard'), ...Array(10).fill('vip')]);
    expect(batches.map((b) => b.items.length)).toEqual([20, 20, 20, 5, 5, 5, 5, 5, 5, ...Array(10).fill(1)]);
  });

  it('carries partial batches over chunks so chunking does not add calls', () => {
    const p = new Packer(seedOpts);
    const out = [...p.add(items('short', 15, 10)), ...p.add(items('short', 15, 10)), ...p.add(items('short', 10, 10))];
    expect(out.map((b) => b.items.length)).toEqual([20, 20]);
    expect(p.flush()).toEqual([]);
  });

  it('tokens profile fills calls up to the budget, vip reviews too, and sends an oversized text alone', () => {
    const o: PackingOptions = { ...seedOpts, profile: 'tokens', tokenBudget: 1000 };
    const batches = packAll([...items('vip', 10, 200), ...items('short', 100, 10), ...items('standard', 1, 5000)], o);
    for (const b of batches) if (b.items.length > 1) expect(b.tokens).toBeLessThanOrEqual(1000);
    const vip = batches.filter((b) => b.cls === 'vip');
    expect(vip.length).toBeLessThan(10);
    expect(vip.every((b) => b.items.length >= 2)).toBe(true);
    expect(batches.find((b) => b.cls === 'standard')!.items).toHaveLength(1);
    expect(batches.filter((b) => b.cls === 'short').length).toBeLessThan(5);
  });
});

describe('token estimate', () => {
  it('counts about 4 Latin characters per token and one per CJK character', () => {
    expect(estimateTokens('abcdefgh')).toBe(2);
    expect(estimateTokens('这个很好')).toBe(4);
    expect(estimateTokens('')).toBe(0);
  });
});
