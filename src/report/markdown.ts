import type { Ranking, ReportData } from './types.js';
import {
  costRows,
  COST_HEAD,
  clean,
  noticeParts,
  delta,
  ratingDelta,
  int,
  pct,
  ratingsText,
  signed,
  stars,
  TYPE_TITLE,
  W_TITLE,
} from './format.js';

/**
 * Review text inside Markdown: one line, no raw HTML (many viewers render it), no table breaks, no emphasis or
 * links a stranger could inject.
 */
export function md(text: string | null | undefined): string {
  return clean(text)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#!~])/g, '\\$1');
}

const table = (head: string[], rows: string[][]): string[] => [
  `| ${head.join(' | ')} |`,
  `|${head.map(() => ' --- ').join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
];

function rankingSection(title: string, r: Ranking): string[] {
  const out = [`## ${title}`, ''];
  if (r.items.length === 0) return [...out, '_None found._', ''];
  out.push(`Ranked by the number of reviews mentioning them (top ${int(r.items.length)} of ${int(r.groups)} groups).`, '');
  return [
    ...out,
    ...table(
      ['#', 'Dimension', 'Summary', 'Quote', 'Reviews', 'Stars of those reviews'],
      r.items.map((i) => [String(i.rank), md(i.dimension), md(i.summaryZh), md(i.quote), int(i.reviews), ratingsText(i.ratings)]),
    ),
  ];
}

/** The report as Markdown; every number goes through format.ts so it matches the HTML page. */
export function renderMarkdown(d: ReportData): string {
  const out: string[] = [];
  const o = d.overview;
  if (d.kind === 'all') out.push('# VOC report: all products', '');
  else out.push(`# VOC report: ${md(d.product?.id)}${d.product?.title ? ` — ${md(d.product.title)}` : ''}`, '');
  if (d.cost.simulatedCalls > 0)
    out.push(
      `> **SIMULATED**: ${int(d.cost.simulatedCalls)} of the LLM calls behind this report were answered by the built-in simulator; their translations and analyses are not real.`,
      '',
    );
  out.push(
    `Generated ${d.generatedAt}${d.since && d.comparison ? `; reviews dated ${d.comparison.current.from} to ${d.comparison.current.to}` : ''}.`,
    '',
  );
  for (const n of d.notices)
    out.push(
      `> **Note:** ${noticeParts(n)
        .map((p) => (p.code ? `\`${p.text}\`` : `${/^\s/.test(p.text) ? ' ' : ''}${md(p.text)}${/\s$/.test(p.text) ? ' ' : ''}`))
        .join('')}`,
      '',
    );

  if (o) {
    out.push('## Overview', '');
    out.push(
      ...table(
        ['Figure', 'Value'],
        [
          ['Reviews', int(o.reviews)],
          ['Average rating', stars(o.averageRating)],
          ['Translated', `${int(o.translated.reviews)} (${pct(o.translated.share)})`],
          ['Analysed (insights)', `${int(o.analysed.reviews)} (${pct(o.analysed.share)})`],
          ['Themed (5W)', `${int(o.themed.reviews)} (${pct(o.themed.share)})`],
        ],
      ),
    );
    out.push(
      '### Rating distribution',
      '',
      ...table(
        ['Stars', 'Reviews'],
        (['5', '4', '3', '2', '1'] as const).map((k) => [`${k}★`, int(o.ratings[k])]),
      ),
    );
    if (o.byMonth.length)
      out.push(
        '### Average rating by month',
        '',
        ...table(
          ['Month', 'Reviews', 'Average rating'],
          o.byMonth.map((m) => [m.month, int(m.reviews), stars(m.averageRating)]),
        ),
      );
    out.push(
      '### Marketplaces',
      '',
      ...table(
        ['Marketplace', 'Reviews', 'Share'],
        o.marketplaces.map((m) => [md(m.name), int(m.reviews), pct(m.share)]),
      ),
    );
    out.push(
      '### Languages',
      '',
      ...table(
        ['Language', 'Reviews', 'Share', 'Translated', 'Converted', 'Already in target'],
        o.languages.map((m) => [md(m.name), int(m.reviews), pct(m.share), int(m.translated), int(m.converted), int(m.skipped)]),
      ),
    );
  }

  if (d.products) {
    out.push('## Products', '');
    out.push(
      ...table(
        ['Product', 'Title', 'Reviews', 'Average rating', 'Translated', 'Analysed', 'Pain points', `Cost (${md(d.cost.currency)})`],
        d.products.map((p) => [
          md(p.productId),
          md(p.title),
          int(p.reviews),
          stars(p.averageRating),
          pct(p.translatedShare),
          pct(p.analysedShare),
          int(p.painPoints),
          p.cost.toFixed(4),
        ]),
      ),
    );
  }

  if (d.kind === 'product' && d.hasAnalysis) {
    out.push('## Dimensions', '');
    out.push(
      ...table(
        ['Dimension', '中文', 'Insights', 'Pain points', 'Praise', 'Net sentiment'],
        d.dimensions.map((x) => [md(x.name), md(x.nameZh), int(x.insights), int(x.painPoints), int(x.praise), signed(x.netSentiment)]),
      ),
    );
    for (const x of d.dimensions.filter((y) => y.quotes.length)) {
      out.push(`### ${md(x.name)}`, '');
      for (const q of x.quotes) out.push(`> “${md(q.quote)}”  `, `> ${md(q.summaryZh)} _(${q.sentiment})_`, '');
    }
    out.push(...rankingSection(TYPE_TITLE.painPoints, d.painPoints), ...rankingSection(TYPE_TITLE.featureRequests, d.featureRequests));
    out.push('## 5W profile', '');
    for (const w of d.fiveW) {
      out.push(`### ${W_TITLE[w.w]}`, '');
      if (w.labels.length)
        out.push(
          ...table(
            ['Label', '中文', 'Reviews', 'Share'],
            w.labels.map((l) => [md(l.name), md(l.nameZh), int(l.reviews), pct(l.share)]),
          ),
        );
      out.push(`Unmapped tags: ${int(w.unmappedTags)}`, '');
    }
  }

  out.push('## LLM cost', '');
  out.push(...table(COST_HEAD, costRows(d.cost, md(d.cost.currency))));

  const c = d.comparison;
  if (c) {
    out.push('## Compared with the period before', '');
    out.push(
      ...table(
        ['Figure', `${c.previous.from} to ${c.previous.to}`, `${c.current.from} to ${c.current.to}`, 'Change'],
        [
          ['Reviews', int(c.previous.reviews), int(c.current.reviews), delta(c.current.reviews, c.previous.reviews)],
          [
            'Average rating',
            stars(c.previous.averageRating),
            stars(c.current.averageRating),
            ratingDelta(c.current.averageRating, c.previous.averageRating),
          ],
          ['Pain points', int(c.previous.painPoints), int(c.current.painPoints), delta(c.current.painPoints, c.previous.painPoints)],
        ],
      ),
    );
    if (c.painPointsByDimension.length) {
      out.push(
        ...table(
          ['Dimension', 'Pain points before', 'Pain points now', 'Change'],
          c.painPointsByDimension.map((x) => [md(x.dimension), int(x.previous), int(x.current), delta(x.current, x.previous)]),
        ),
      );
    }
  }
  return out.join('\n');
}
