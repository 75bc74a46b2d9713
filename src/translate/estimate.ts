import type { Config } from '../config/schema.js';
import { batchSystemPrompt, singleSystemPrompt } from '../llm/prompts/translate.js';
import { hasLetters, normaliseForPrompt, sha256 } from '../text.js';
import { classify, classifyTitle, CLASS_ORDER } from './classifier.js';
import type { ReviewClass } from '../domain.js';
import { callTokens, packAll, packingOptions, type Packable, type PackingOptions } from './packing.js';
import { planText } from '../language.js';
import { estimateOutputTokens, estimateTokens } from './tokens.js';

/**
 * `voc estimate`: what translating a dump would take, without storing or calling anything. Texts are counted the
 * way a run treats them (titles included, duplicates and texts needing no call removed), then packed in each
 * profile. Single-review and fixed-10 are computed on the same texts, for comparison with the seed's table.
 */
export interface ProfileEstimate {
  calls: number;
  /** minutes at config.llm.qps, the gateway's cap */
  minutes: number;
  inputTokens: number;
  outputTokens: number;
  /** null when the model has no price in config.llm.prices */
  cost: number | null;
  /** the same calls as Batch API requests, at the batch price */
  batchCost: number | null;
  reviewsPerCall: number;
}

export interface TranslationEstimate {
  [key: string]: unknown;
  reviews: number;
  classes: Record<ReviewClass, number>;
  titles: number;
  /** texts (bodies and titles) that need a call */
  texts: number;
  /** texts identical (after normalising) to an earlier one: paid once */
  duplicates: number;
  /** texts already in the target language or without letters: no call */
  noCall: number;
  /** Chinese texts in the other script (Traditional for a Simplified target), converted locally: no call */
  converted: number;
  /** reviews by detected language of the body (`und`: cannot be told), with what a run would do with them */
  languages: Array<{ lang: string; reviews: number; skipped: number; converted: number; sent: number }>;
  model: string;
  qps: number;
  currency: string;
  profiles: { single: ProfileEstimate; fixed10: ProfileEstimate; seed: ProfileEstimate; tokens: ProfileEstimate };
}

type Item = Packable;

export class TranslationEstimator {
  private seen = new Set<string>();
  private items: Item[] = [];
  private classes: Record<ReviewClass, number> = { vip: 0, standard: 0, short: 0 };
  private reviews = 0;
  private titles = 0;
  private duplicates = 0;
  private noCall = 0;
  private converted = 0;
  private langs = new Map<string, { reviews: number; skipped: number; converted: number; sent: number }>();

  constructor(private cfg: Config) {}

  add(r: { body: string; title?: string | null; rating: number | null }): void {
    const rules = this.cfg.translate;
    const cls = classify(r.body ?? '', r.rating, rules);
    this.reviews++;
    this.classes[cls]++;
    const { action, lang } = this.text(r.body ?? '', cls);
    const l = this.langs.get(lang) ?? { reviews: 0, skipped: 0, converted: 0, sent: 0 };
    l.reviews++;
    if (action === 'skip') l.skipped++;
    else if (action === 'convert') l.converted++;
    else l.sent++;
    this.langs.set(lang, l);
    if (r.title && r.title.trim()) {
      this.titles++;
      this.text(r.title, classifyTitle(r.title, rules));
    }
  }

  /** counts one text the way a run treats it; says what the run would do with it ('call' for duplicates too) */
  private text(original: string, cls: ReviewClass): { action: 'skip' | 'convert' | 'call'; lang: string } {
    const norm = normaliseForPrompt(original);
    const plan = hasLetters(norm) ? planText(norm, this.cfg.translate.targetLanguage) : null;
    const out = { action: plan?.action ?? 'skip', lang: plan?.lang.lang ?? 'und' };
    if (out.action === 'skip') this.noCall++;
    else if (out.action === 'convert') this.converted++;
    else {
      const h = sha256(norm);
      if (this.seen.has(h)) this.duplicates++;
      else {
        this.seen.add(h);
        this.items.push({ cls, tokens: estimateTokens(norm) });
      }
    }
    return out;
  }

  result(): TranslationEstimate {
    const target = this.cfg.translate.targetLanguage;
    const prompts = { batch: estimateTokens(batchSystemPrompt(target)), single: estimateTokens(singleSystemPrompt(target)) };
    const base = packingOptions(this.cfg.translate, prompts);
    const ordered = CLASS_ORDER.flatMap((c) => this.items.filter((i) => i.cls === c));
    const fixed = (n: number): Item[][] => {
      const out: Item[][] = [];
      for (let i = 0; i < ordered.length; i += n) out.push(ordered.slice(i, i + n));
      return out;
    };
    const one = { ...base, profile: 'seed' as const };
    return {
      reviews: this.reviews,
      classes: { ...this.classes },
      titles: this.titles,
      texts: this.items.length,
      duplicates: this.duplicates,
      noCall: this.noCall,
      converted: this.converted,
      languages: [...this.langs].map(([lang, l]) => ({ lang, ...l })).sort((a, b) => b.reviews - a.reviews || (a.lang < b.lang ? -1 : 1)),
      model: this.cfg.llm.model,
      qps: this.cfg.llm.qps,
      currency: this.cfg.llm.currency,
      profiles: {
        single: this.profile(fixed(1), one),
        fixed10: this.profile(fixed(10), one),
        seed: this.profile(
          packAll(ordered, { ...base, profile: 'seed' }).map((b) => b.items),
          base,
        ),
        tokens: this.profile(
          packAll(ordered, { ...base, profile: 'tokens' }).map((b) => b.items),
          base,
        ),
      },
    };
  }

  private profile(batches: Item[][], o: PackingOptions): ProfileEstimate {
    let input = 0;
    let output = 0;
    for (const b of batches) {
      input += callTokens(b, o);
      output += estimateOutputTokens(
        b.reduce((n, i) => n + i.tokens, 0),
        b.length,
      );
    }
    const price = this.cfg.llm.prices[this.cfg.llm.model];
    const cost = price ? (input / 1e6) * price.input + (output / 1e6) * price.output : null;
    const batchCost = price
      ? (input / 1e6) * (price.batchInput ?? price.input / 2) + (output / 1e6) * (price.batchOutput ?? price.output / 2)
      : null;
    const calls = batches.length;
    return {
      calls,
      minutes: Math.round((calls / this.cfg.llm.qps / 60) * 100) / 100,
      inputTokens: input,
      outputTokens: output,
      cost: cost === null ? null : Math.round(cost * 1e4) / 1e4,
      batchCost: batchCost === null ? null : Math.round(batchCost * 1e4) / 1e4,
      reviewsPerCall: calls ? Math.round((this.items.length / calls) * 100) / 100 : 0,
    };
  }
}
