import { describe, expect, it } from 'vitest';
import { md } from '../../src/report/markdown.js';
import { esc, ratingHistogram, trendLine } from '../../src/report/svg.js';
import { summaryLine } from '../../src/report/format.js';

describe('report escaping', () => {
  it('Markdown text cannot open HTML, break a table, link, or emphasise', () => {
    const out = md('<img src=x onerror=alert(1)> | [click](javascript:alert(1)) *bold* _it_ `code`\n# heading');
    expect(out).not.toMatch(/<|\n/);
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('\\|');
    expect(out).toContain('\\[click\\](javascript:alert(1))');
    expect(out).toContain('\\*bold\\*');
    expect(out).toContain('\\# heading');
  });

  it('HTML text escapes markup and attribute quotes and drops terminal control characters', () => {
    expect(esc(`<a href="x" onclick='y'>&`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;');
    expect(esc('red\u001b[31m text')).toBe('red [31m text');
    expect(esc(null)).toBe('');
  });

  it('charts are inline SVG that scale with the page', () => {
    const h = ratingHistogram({ '1': 1, '2': 0, '3': 0, '4': 2, '5': 7 });
    expect(h).toMatch(/^<svg class="chart" data-chart="ratings"[^>]*viewBox="0 0 \d+ \d+" width="100%"/);
    expect(h.match(/<rect /g)).toHaveLength(5);
    const one = trendLine([{ month: '2024-01', reviews: 1, averageRating: 5 }]);
    expect(one).toContain('<circle');
    expect(one).not.toContain('<polyline');
  });

  it('the terminal summary strips control characters from model-written names', () => {
    const line = summaryLine({
      kind: 'product',
      product: { id: 'P', title: null, learnStatus: 'done' },
      overview: null,
      hasAnalysis: true,
      painPoints: {
        groups: 1,
        items: [
          {
            rank: 1,
            dimension: 'fit\u001b]0;pwn\u0007',
            key: 'k',
            summaryZh: '',
            quote: '',
            reviews: 2,
            ratings: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 2 },
          },
        ],
      },
    } as never);
    expect(line).not.toMatch(/[\u0000-\u001f]/);
    expect(line).toContain('top pain point: fit ]0;pwn  (2 reviews)');
  });
});
