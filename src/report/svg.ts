import type { DimensionRow, FiveWRow, MonthRow, Ratings } from './types.js';
import { clean, int, pct, signed, stars } from './format.js';

/** Text for HTML and SVG alike: the five characters that could open markup or close an attribute. */
export function esc(text: string | number | null | undefined): string {
  return clean(text === null || text === undefined ? '' : String(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const f = (n: number): string => (Math.round(n * 10) / 10).toString();
const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** An inline chart that scales with its container (viewBox + width 100%), labelled for screen readers. */
function frame(kind: string, label: string, w: number, h: number, body: string): string {
  return `<svg class="chart" data-chart="${kind}" role="img" aria-label="${esc(label)}" viewBox="0 0 ${w} ${h}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

export function ratingHistogram(r: Ratings): string {
  const keys = ['1', '2', '3', '4', '5'] as const;
  const max = Math.max(1, ...keys.map((k) => r[k]));
  const W = 320,
    H = 180,
    bw = 44,
    gap = 16,
    top = 20,
    plot = 120;
  const bars = keys
    .map((k, i) => {
      const h = (r[k] / max) * plot;
      const x = 20 + i * (bw + gap);
      const y = top + plot - h;
      return (
        `<rect class="bar r${k}" x="${x}" y="${f(y)}" width="${bw}" height="${f(h)}"><title>${k}★: ${int(r[k])}</title></rect>` +
        `<text x="${x + bw / 2}" y="${f(y - 4)}" text-anchor="middle" class="val">${int(r[k])}</text>` +
        `<text x="${x + bw / 2}" y="${top + plot + 18}" text-anchor="middle">${k}★</text>`
      );
    })
    .join('');
  return frame('ratings', 'Rating distribution', W, H, bars);
}

/** Month labels ("2025-01") at 11px are about 45 units wide: ticks at least this far apart never touch. */
const MONTH_LABEL_GAP = 56;

/**
 * Which months get an axis label: every `step`-th counted back from the latest (always labelled, it is the one a
 * reader looks for), with `step` the smallest that keeps neighbours MONTH_LABEL_GAP apart.
 */
export function monthTicks(count: number, span: number): number[] {
  if (count <= 1) return count === 1 ? [0] : [];
  const step = Math.max(1, Math.ceil(MONTH_LABEL_GAP / (span / (count - 1))));
  const ticks: number[] = [];
  for (let i = count - 1; i >= 0; i -= step) ticks.unshift(i);
  return ticks;
}

export function trendLine(months: MonthRow[]): string {
  // the right margin is half a label, so the latest month's label stays inside the chart
  const W = 480,
    H = 200,
    left = 36,
    right = 28,
    top = 14,
    plot = 140;
  const span = W - left - right;
  const x = (i: number) => (months.length <= 1 ? left + span / 2 : left + (i * span) / (months.length - 1));
  const y = (v: number) => top + plot - ((v - 1) / 4) * plot;
  const grid = [1, 2, 3, 4, 5]
    .map(
      (v) =>
        `<line class="grid" x1="${left}" x2="${W - right}" y1="${f(y(v))}" y2="${f(y(v))}"/><text x="${left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${v}</text>`,
    )
    .join('');
  const pts = months.map((m, i) => `${f(x(i))},${f(y(m.averageRating))}`).join(' ');
  const dots = months
    .map(
      (m, i) =>
        `<circle class="dot" cx="${f(x(i))}" cy="${f(y(m.averageRating))}" r="3"><title>${esc(m.month)}: ${stars(m.averageRating)} (${int(m.reviews)} reviews)</title></circle>`,
    )
    .join('');
  const ticks = monthTicks(months.length, span)
    .map((i) => `<text class="month" x="${f(x(i))}" y="${top + plot + 18}" text-anchor="middle">${esc(months[i].month)}</text>`)
    .join('');
  const line = months.length > 1 ? `<polyline class="line" fill="none" points="${pts}"/>` : '';
  return frame('trend', 'Average rating by month', W, H, grid + line + dots + ticks);
}

export function sentimentBars(dims: DimensionRow[]): string {
  const rows = dims.filter((d) => d.insights > 0);
  const W = 480,
    rowH = 26,
    left = 150,
    right = 50;
  const H = Math.max(1, rows.length) * rowH + 8;
  const span = W - left - right;
  const body = rows
    .map((d, i) => {
      const y = 4 + i * rowH;
      let x = left;
      const seg = (cls: string, n: number) => {
        const w = (n / d.insights) * span;
        const s =
          w > 0
            ? `<rect class="${cls}" x="${f(x)}" y="${y}" width="${f(w)}" height="${rowH - 8}"><title>${cls}: ${int(n)}</title></rect>`
            : '';
        x += w;
        return s;
      };
      return (
        `<text x="${left - 6}" y="${y + 13}" text-anchor="end">${esc(cut(d.name, 22))}</text>` +
        seg('neg', d.negative) +
        seg('neu', d.neutral) +
        seg('pos', d.positive) +
        `<text x="${W - right + 6}" y="${y + 13}">${signed(d.netSentiment)}</text>`
      );
    })
    .join('');
  return frame('sentiment', 'Sentiment per dimension: negative, neutral, positive', W, H, body);
}

export function fiveWShares(row: FiveWRow): string {
  const W = 480,
    rowH = 24,
    left = 150,
    right = 56;
  const labels = row.labels;
  const H = Math.max(1, labels.length) * rowH + 8;
  const span = W - left - right;
  const body = labels
    .map((l, i) => {
      const y = 4 + i * rowH;
      return (
        `<text x="${left - 6}" y="${y + 12}" text-anchor="end">${esc(cut(l.nameZh ? `${l.name} · ${l.nameZh}` : l.name, 24))}</text>` +
        `<rect class="bar" x="${left}" y="${y}" width="${f(Math.min(1, l.share) * span)}" height="${rowH - 8}"><title>${esc(l.name)}: ${int(l.reviews)} reviews</title></rect>` +
        `<text x="${f(left + Math.min(1, l.share) * span + 6)}" y="${y + 12}">${pct(l.share)}</text>`
      );
    })
    .join('');
  return frame(`w-${row.w}`, `${row.w}: share of reviews per label`, W, H, body);
}
