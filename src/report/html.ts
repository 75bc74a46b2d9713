import type { Ranking, ReportData } from './types.js';
import {
  costRows,
  COST_HEAD,
  delta,
  noticeParts,
  ratingDelta,
  int,
  pct,
  ratingsText,
  signed,
  stars,
  TYPE_TITLE,
  W_TITLE,
} from './format.js';
import { esc, fiveWShares, ratingHistogram, sentimentBars, trendLine } from './svg.js';

/** Nothing may run or load even if escaping were ever wrong: no script source at all, styles inline, images data: only. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

// Latin faces first, then a Simplified Chinese face for each platform (Linux: Noto/Source Han, macOS: PingFang,
// Windows: Microsoft YaHei): naming them keeps Chinese out of the system's fallback, which may pick a Japanese face
const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde2ea;--neg:#d64545;--neu:#a3acb9;--pos:#2f9e5b;--bar:#3b6fd8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei",sans-serif;color:var(--fg);background:#fff}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.2rem;margin-top:1.8em;border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1rem}
.meta{color:var(--muted);font-size:.85rem}
.simulated{background:#fff3cd;border:1px solid #e0b400;padding:.5rem .75rem;border-radius:6px}
.notice{background:#fff6e0;border-left:4px solid #e3a008;padding:.6em .8em;margin:.8em 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px}.card strong{display:block;font-size:1.3rem}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:16px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}
blockquote{margin:.5em 0;padding:.3em .8em;border-left:3px solid var(--line);overflow-wrap:anywhere}
blockquote .zh{color:var(--muted);display:block}
svg.chart{max-width:100%;height:auto;display:block;font-size:11px;fill:var(--fg)}
svg .bar{fill:var(--bar)}svg .neg{fill:var(--neg)}svg .neu{fill:var(--neu)}svg .pos{fill:var(--pos)}
svg .grid{stroke:var(--line)}svg .line{stroke:var(--bar);stroke-width:2}svg .dot{fill:var(--bar)}
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
@media (max-width:600px){body{font-size:14px}main{padding:10px}}
@media print{body{font-size:11pt}main{max-width:none;padding:0}.scroll{overflow:visible}h2{break-after:avoid}section,tr,svg,blockquote{break-inside:avoid}.notice{border:1px solid #999}}
`;

const table = (head: string[], rows: string[][], numeric: number[] = []): string =>
  `<div class="scroll"><table><thead><tr>${head.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
  rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('') +
  '</tbody></table></div>';

const card = (label: string, value: string, id: string): string =>
  `<div class="card" data-figure="${id}">${esc(label)}<strong>${esc(value)}</strong></div>`;

function ranking(title: string, id: string, r: Ranking): string {
  if (r.items.length === 0) return `<section id="${id}"><h2>${esc(title)}</h2><p>None found.</p></section>`;
  return (
    `<section id="${id}"><h2>${esc(title)}</h2><p class="meta">Ranked by the number of reviews mentioning them (top ${int(r.items.length)} of ${int(r.groups)} groups).</p>` +
    table(
      ['#', 'Dimension', 'Summary', 'Quote', 'Reviews', 'Stars of those reviews'],
      r.items.map((i) => [String(i.rank), esc(i.dimension), esc(i.summaryZh), esc(i.quote), int(i.reviews), esc(ratingsText(i.ratings))]),
      [0, 4],
    ) +
    '</section>'
  );
}

/** One self-contained page: inline CSS and SVG, no script, no external resource; every stored string escaped. */
export function renderHtml(d: ReportData): string {
  const o = d.overview;
  const title =
    d.kind === 'all' ? 'VOC report: all products' : `VOC report: ${d.product?.id ?? ''}${d.product?.title ? ` — ${d.product.title}` : ''}`;
  const parts: string[] = [];
  if (d.cost.simulatedCalls > 0) {
    parts.push(
      `<p class="simulated"><strong>SIMULATED</strong>: ${int(d.cost.simulatedCalls)} of the LLM calls behind this report were answered by the built-in simulator; their translations and analyses are not real.</p>`,
    );
  }
  parts.push(
    `<h1>${esc(title)}</h1><p class="meta">Generated ${esc(d.generatedAt)}${d.since && d.comparison ? `; reviews dated ${esc(d.comparison.current.from)} to ${esc(d.comparison.current.to)}` : ''}.</p>`,
  );
  for (const n of d.notices) {
    const text = noticeParts(n).map((p) => (p.code ? `<code>${esc(p.text)}</code>` : esc(p.text)));
    parts.push(`<p class="notice" role="note"><strong>Note:</strong> ${text.join('')}</p>`);
  }
  if (o) {
    parts.push(
      `<section id="overview"><h2>Overview</h2><div class="cards">` +
        card('Reviews', int(o.reviews), 'reviews') +
        card('Average rating', stars(o.averageRating), 'average') +
        card('Translated', pct(o.translated.share), 'translated') +
        card('Analysed (insights)', pct(o.analysed.share), 'analysed') +
        card('Themed (5W)', pct(o.themed.share), 'themed') +
        `</div><div class="grid2"><div><h3>Rating distribution</h3>${ratingHistogram(o.ratings)}</div>` +
        `<div><h3>Average rating by month</h3>${o.byMonth.length ? trendLine(o.byMonth) : '<p>No dated review.</p>'}</div></div>` +
        `<div class="grid2"><div><h3>Marketplaces</h3>${table(
          ['Marketplace', 'Reviews', 'Share'],
          o.marketplaces.map((m) => [esc(m.name), int(m.reviews), pct(m.share)]),
          [1, 2],
        )}</div>` +
        `<div><h3>Languages</h3>${table(
          ['Language', 'Reviews', 'Share', 'Translated', 'Converted', 'Already in target'],
          o.languages.map((m) => [esc(m.name), int(m.reviews), pct(m.share), int(m.translated), int(m.converted), int(m.skipped)]),
          [1, 2, 3, 4, 5],
        )}</div></div></section>`,
    );
  }
  if (d.products) {
    parts.push(
      `<section id="products"><h2>Products</h2>` +
        table(
          ['Product', 'Title', 'Reviews', 'Average rating', 'Translated', 'Analysed', 'Pain points', `Cost (${d.cost.currency})`],
          d.products.map((p) => [
            esc(p.productId),
            esc(p.title),
            int(p.reviews),
            stars(p.averageRating),
            pct(p.translatedShare),
            pct(p.analysedShare),
            int(p.painPoints),
            p.cost.toFixed(4),
          ]),
          [2, 3, 4, 5, 6, 7],
        ) +
        '</section>',
    );
  }
  if (d.kind === 'product' && d.hasAnalysis) {
    const quotes = d.dimensions
      .filter((x) => x.quotes.length)
      .map(
        (x) =>
          `<h3>${esc(x.name)}${x.nameZh ? ` · ${esc(x.nameZh)}` : ''}</h3>` +
          x.quotes
            .map((q) => `<blockquote>“${esc(q.quote)}”<span class="zh">${esc(q.summaryZh)} (${esc(q.sentiment)})</span></blockquote>`)
            .join(''),
      )
      .join('');
    parts.push(
      `<section id="dimensions"><h2>Dimensions</h2>` +
        `<p class="legend"><span><i style="background:var(--neg)"></i>negative</span><span><i style="background:var(--neu)"></i>neutral</span><span><i style="background:var(--pos)"></i>positive</span></p>` +
        sentimentBars(d.dimensions) +
        table(
          ['Dimension', '中文', 'Insights', 'Pain points', 'Praise', 'Net sentiment'],
          d.dimensions.map((x) => [esc(x.name), esc(x.nameZh), int(x.insights), int(x.painPoints), int(x.praise), signed(x.netSentiment)]),
          [2, 3, 4, 5],
        ) +
        quotes +
        '</section>',
    );
    parts.push(
      ranking(TYPE_TITLE.painPoints, 'pain-points', d.painPoints),
      ranking(TYPE_TITLE.featureRequests, 'feature-requests', d.featureRequests),
    );
    parts.push(
      `<section id="five-w"><h2>5W profile</h2><div class="grid2">` +
        d.fiveW
          .map(
            (w) =>
              `<div><h3>${esc(W_TITLE[w.w])}</h3>${w.labels.length ? fiveWShares(w) : '<p>No label learned.</p>'}<p class="meta">Unmapped tags: ${int(w.unmappedTags)}</p></div>`,
          )
          .join('') +
        '</div></section>',
    );
  }
  parts.push(
    `<section id="cost"><h2>LLM cost</h2>` + table(COST_HEAD, costRows(d.cost, esc(d.cost.currency)), [1, 2, 3, 4, 5]) + '</section>',
  );
  const c = d.comparison;
  if (c) {
    const avgDelta = ratingDelta(c.current.averageRating, c.previous.averageRating);
    parts.push(
      `<section id="comparison"><h2>Compared with the period before</h2>` +
        table(
          ['Figure', `${c.previous.from} to ${c.previous.to}`, `${c.current.from} to ${c.current.to}`, 'Change'],
          [
            ['Reviews', int(c.previous.reviews), int(c.current.reviews), delta(c.current.reviews, c.previous.reviews)],
            ['Average rating', stars(c.previous.averageRating), stars(c.current.averageRating), avgDelta],
            ['Pain points', int(c.previous.painPoints), int(c.current.painPoints), delta(c.current.painPoints, c.previous.painPoints)],
          ],
          [1, 2, 3],
        ) +
        (c.painPointsByDimension.length
          ? table(
              ['Dimension', 'Pain points before', 'Pain points now', 'Change'],
              c.painPointsByDimension.map((x) => [esc(x.dimension), int(x.previous), int(x.current), delta(x.current, x.previous)]),
              [1, 2, 3],
            )
          : '') +
        '</section>',
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${CSS}</style></head>
<body><main>
${parts.join('\n')}
</main></body></html>
`;
}
