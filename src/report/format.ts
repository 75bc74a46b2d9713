import type { Cost, Ratings, ReportData } from './types.js';

/**
 * Number formatting shared by the Markdown and HTML renderers, so a figure reads the same in every format;
 * JSON carries the raw values these are made from.
 */
export const int = (n: number): string => n.toLocaleString('en-US');

export const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

export const stars = (avg: number | null): string => (avg === null ? 'n/a' : avg.toFixed(2));

export const signed = (v: number | null): string => (v === null ? 'n/a' : `${v > 0 ? '+' : ''}${v.toFixed(2)}`);

export const money = (cost: number, currency: string): string => `${cost.toFixed(4)} ${currency}`;

export const delta = (now: number, before: number): string => {
  const d = now - before;
  return `${d > 0 ? '+' : ''}${Number.isInteger(d) ? int(d) : d.toFixed(2)}`;
};

/** Change of an average rating: always two decimals, so 4.50 -> 1.50 reads -3.00 and never -3. */
export const ratingDelta = (now: number | null, before: number | null): string =>
  now === null || before === null ? 'n/a' : signed(Math.round((now - before) * 100) / 100);

export const ratingsText = (r: Ratings): string => (['5', '4', '3', '2', '1'] as const).map((k) => `${k}★ ${int(r[k])}`).join(' · ');

export const W_TITLE: Record<string, string> = {
  who: 'Who buys',
  what: 'What for',
  when: 'When',
  where: 'Where',
  why: 'Why',
};

/** The LLM cost table: realtime calls, Batch API requests (half price) and the total. */
export const COST_HEAD = ['Calls through', 'Calls', 'Prompt tokens', 'Completion tokens', 'Total tokens', 'Cost'];

/** `currency` comes escaped for the format that prints it. */
export function costRows(c: Cost, currency: string): string[][] {
  const row = (name: string, p: { calls: number; promptTokens: number; completionTokens: number; cost: number }) => [
    name,
    int(p.calls),
    int(p.promptTokens),
    int(p.completionTokens),
    int(p.promptTokens + p.completionTokens),
    money(p.cost, currency),
  ];
  return [row('Realtime', c.realtime), row('Batch API', c.batch), row('Total', c)];
}

export const TYPE_TITLE = { painPoints: 'Pain points', featureRequests: 'Feature requests' } as const;

/** One line for a terminal: what the report covers and its headline figures. */
export function summaryLine(d: ReportData): string {
  const o = d.overview;
  if (d.kind === 'all') {
    return `${int(d.products?.length ?? 0)} products, ${int(o?.reviews ?? 0)} reviews, cost ${money(d.cost.cost, d.cost.currency)}`;
  }
  const parts = [`${d.product?.id}: ${int(o?.reviews ?? 0)} reviews`, `avg ${stars(o?.averageRating ?? null)}★`];
  if (o) parts.push(`${pct(o.translated.share)} translated`, `${pct(o.analysed.share)} analysed`);
  const topPain = d.painPoints.items[0];
  if (topPain) parts.push(`top pain point: ${clean(topPain.dimension)} (${int(topPain.reviews)} reviews)`);
  if (!d.hasAnalysis) parts.push('no analysis yet');
  return parts.join(', ');
}

/** Review text arrives from strangers: strip control characters (terminal escapes) before any renderer sees it. */
export function clean(text: string | null | undefined): string {
  return (text ?? '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, ' ');
}

/**
 * A report notice in parts: text, and commands between backticks to show as code. The notices are ours; a product
 * id in one is the user's, so aggregates.ts takes backticks out of it (`codeSafe`) before it goes in.
 */
export function noticeParts(notice: string): Array<{ code: boolean; text: string }> {
  return notice
    .split('`')
    .map((text, i) => ({ code: i % 2 === 1, text }))
    .filter((p) => p.text !== '');
}

/** A value put inside a notice's backticks: without backticks of its own, so it cannot end the code span. */
export const codeSafe = (v: string): string => v.replace(/`/g, "'");
