import type { Config } from '../config/schema.js';
import { insightsSystem, LEARN_SYSTEM, REVIEW_PROMPT_CHARS, THEMES_SYSTEM } from '../llm/prompts/analysis.js';
import { isSpace, normaliseForPrompt } from '../text.js';
import { classify } from '../translate/classifier.js';
import type { ReviewClass } from '../domain.js';
import { CALL_OVERHEAD_TOKENS, estimateTokens, ITEM_OVERHEAD_TOKENS } from '../translate/tokens.js';

/**
 * What learning and analysis would cost, without a call: `voc ingest` says what learning its new products would
 * take, `voc estimate` adds learning, insights and themes to the translation figures. Answers are sized from what
 * the prompts ask for (a product model of ~5-15 dimensions and 5W labels; 3-5 insights; a few tags per W).
 */
export interface CallsEstimate {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** at the realtime price; null when the model has no price */
  cost: number | null;
}

export interface AnalysisEstimate {
  [key: string]: unknown;
  /** products with at least analysis.learnMinReviews reviews: each is learned with one call */
  products: number;
  learn: CallsEstimate;
  insights: CallsEstimate;
  themes: CallsEstimate;
}

const LEARN_ANSWER_TOKENS = 450;
const INSIGHT_TOKENS_PER_REVIEW = 130;
const THEME_TOKENS_PER_REVIEW = 45;
/** `{"rating": 5, "text": ...}` around each sampled review */
const SAMPLE_OVERHEAD_TOKENS = 10;

interface ProductTally {
  reviews: number;
  /** text tokens of the first learnSampleSize reviews (the sample is spread over ratings; the size is what counts) */
  sampleTokens: number;
}

/**
 * `estimateTokens(normaliseForPrompt(body).slice(0, REVIEW_PROMPT_CHARS))`, with the common case counted in one
 * scan: an ASCII body without markup normalises to its words joined by single spaces, and every ASCII character is
 * a quarter token, so only the normalised length matters (ingest estimates up to 40 reviews of every product;
 * building the normalised copy cost more than the rest of the estimate).
 */
export function promptTokens(body: string): number {
  if (body.includes('<') || body.includes('&')) return estimateTokens(normaliseForPrompt(body).slice(0, REVIEW_PROMPT_CHARS));
  let chars = 0;
  let gap = false;
  for (let i = 0; i < body.length && chars < REVIEW_PROMPT_CHARS; i++) {
    const c = body.charCodeAt(i);
    if (c >= 0x80) return estimateTokens(normaliseForPrompt(body).slice(0, REVIEW_PROMPT_CHARS));
    if (isSpace(c)) {
      gap = chars > 0;
      continue;
    }
    if (gap) {
      gap = false;
      if (++chars === REVIEW_PROMPT_CHARS) break;
    }
    chars++;
  }
  return Math.ceil(chars / 4);
}

export function priced(cfg: Config, inputTokens: number, outputTokens: number): number | null {
  const price = cfg.llm.prices[cfg.llm.model];
  if (!price) return null;
  return Math.round(((inputTokens * price.input + outputTokens * price.output) / 1e6) * 1e4) / 1e4;
}

function calls(cfg: Config, n: number, input: number, output: number): CallsEstimate {
  return { calls: n, inputTokens: input, outputTokens: output, cost: priced(cfg, input, output) };
}

export class AnalysisEstimator {
  private products = new Map<string, ProductTally>();
  /** per product and class: reviews and their text tokens, for the keyed analysis batches */
  private groups = new Map<string, { cls: ReviewClass; reviews: number; tokens: number }>();

  /**
   * `learningOnly`: tally what `learning()` needs and no more (`voc ingest`): a product's reviews past its sample
   * are only counted, their text is not read.
   */
  constructor(
    private cfg: Config,
    private opts: { learningOnly?: boolean } = {},
  ) {}

  /** One review; `class` is taken as given when the caller has classified it already (a validated review has). */
  add(r: { productId: string; body: string; rating: number | null; class?: ReviewClass }): void {
    let p = this.products.get(r.productId);
    if (!p) this.products.set(r.productId, (p = { reviews: 0, sampleTokens: 0 }));
    p.reviews++;
    const sampled = p.reviews <= this.cfg.analysis.learnSampleSize;
    if (this.opts.learningOnly && !sampled) return;
    const tokens = promptTokens(r.body ?? '');
    if (sampled) p.sampleTokens += tokens + SAMPLE_OVERHEAD_TOKENS;
    if (this.opts.learningOnly) return;
    const cls = r.class ?? classify(r.body ?? '', r.rating, this.cfg.translate);
    const key = `${r.productId}\u0000${cls}`;
    const g = this.groups.get(key) ?? { cls, reviews: 0, tokens: 0 };
    g.reviews++;
    g.tokens += tokens;
    this.groups.set(key, g);
  }

  /** Learning only, for the given products (all products seen when omitted) that have enough reviews to learn. */
  learning(only?: Iterable<string>): { products: number; learn: CallsEstimate } {
    const ids = only ? [...only] : [...this.products.keys()];
    const system = estimateTokens(LEARN_SYSTEM) + CALL_OVERHEAD_TOKENS + 30;
    let n = 0;
    let input = 0;
    for (const id of ids) {
      const p = this.products.get(id);
      if (!p || p.reviews < this.cfg.analysis.learnMinReviews) continue;
      n++;
      input += system + p.sampleTokens;
    }
    return { products: n, learn: calls(this.cfg, n, input, n * LEARN_ANSWER_TOKENS) };
  }

  /** Learning, insights and themes for everything added (not with `learningOnly`). */
  result(): AnalysisEstimate {
    if (this.opts.learningOnly) throw new Error('AnalysisEstimator: result() needs every review tallied (not learningOnly)');
    const a = this.cfg.analysis;
    const kinds = {
      insights: { system: estimateTokens(insightsSystem(a.maxInsights)) + 20, per: INSIGHT_TOKENS_PER_REVIEW },
      themes: { system: estimateTokens(THEMES_SYSTEM) + 60, per: THEME_TOKENS_PER_REVIEW },
    };
    const out = {} as Record<keyof typeof kinds, CallsEstimate>;
    for (const kind of ['insights', 'themes'] as const) {
      let n = 0;
      let input = 0;
      let output = 0;
      for (const g of this.groups.values()) {
        const size = Math.max(1, a.batchSize[g.cls]);
        const batches = Math.ceil(g.reviews / size);
        n += batches;
        input += batches * (CALL_OVERHEAD_TOKENS + kinds[kind].system) + g.tokens + g.reviews * ITEM_OVERHEAD_TOKENS;
        output += g.reviews * (kinds[kind].per + ITEM_OVERHEAD_TOKENS);
      }
      out[kind] = calls(this.cfg, n, input, output);
    }
    const { products, learn } = this.learning();
    return { products, learn, insights: out.insights, themes: out.themes };
  }
}
