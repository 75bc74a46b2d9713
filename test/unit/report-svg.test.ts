import { describe, expect, it } from 'vitest';
import { monthTicks, trendLine } from '../../src/report/svg.js';
import type { MonthRow } from '../../src/report/types.js';

const months = (n: number): MonthRow[] =>
  Array.from({ length: n }, (_, i) => ({
    month: `${2020 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`,
    reviews: 1,
    averageRating: 1 + (i % 5),
  }));

/** x of each month label in the chart, read back from the SVG */
const labelXs = (svg: string): Array<{ x: number; text: string }> =>
  [...svg.matchAll(/<text class="month" x="([\d.]+)"[^>]*>([^<]+)<\/text>/g)].map((m) => ({ x: Number(m[1]), text: m[2] }));

describe('trend chart month axis', () => {
  it('labels months at least a label apart for any number of months, always the latest one', () => {
    for (let n = 1; n <= 72; n++) {
      const svg = trendLine(months(n));
      const labels = labelXs(svg);
      expect(labels.at(-1)!.text, `${n} months`).toBe(months(n)[n - 1].month);
      // "2025-01" at 11px is about 45 units wide, centred on its x: neighbours must be further apart than that
      for (let i = 1; i < labels.length; i++) expect(labels[i].x - labels[i - 1].x, `${n} months`).toBeGreaterThanOrEqual(50);
      // and every label stays inside the 480-unit chart
      for (const l of labels) expect(l.x - 23 >= 0 && l.x + 23 <= 480, `${n} months, ${l.text} at ${l.x}`).toBe(true);
    }
  });

  it('keeps most of a short axis and thins a long one evenly', () => {
    expect(monthTicks(3, 416)).toEqual([0, 1, 2]);
    expect(monthTicks(8, 416)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // 14 months used to label 12 and 13 side by side ("2025-012025-02")
    const fourteen = monthTicks(14, 416);
    expect(fourteen.at(-1)).toBe(13);
    expect(new Set(fourteen.slice(1).map((t, i) => t - fourteen[i])).size).toBe(1);
    expect(labelXs(trendLine(months(24))).length).toBeGreaterThanOrEqual(6);
  });
});
