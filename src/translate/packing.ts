import type { Config } from '../config/schema.js';
import { CLASS_ORDER } from './classifier.js';
import type { ReviewClass } from '../domain.js';
import { CALL_OVERHEAD_TOKENS, ITEM_OVERHEAD_TOKENS } from './tokens.js';

/**
 * Packing: which texts travel together in one call.
 * - `seed`: the seed's table, a fixed number of texts per call by class (vip 1, standard 5, short 20).
 * - `tokens`: fill each call up to `translate.tokenBudget` estimated input tokens (system prompt included), vip
 *   texts too; a text bigger than the budget travels alone. For huge backlogs on models with room to spare.
 * Either way a run sends short, then standard, then vip, and texts of different classes never share a call, so
 * the per-class counters and log lines keep their meaning.
 */
export type PackingProfile = Config['translate']['packing'];

export interface Packable {
  cls: ReviewClass;
  /** estimated input tokens of the text itself */
  tokens: number;
}

export interface Batch<T extends Packable> {
  cls: ReviewClass;
  items: T[];
  /** estimated input tokens of the whole call */
  tokens: number;
}

export interface PackingOptions {
  profile: PackingProfile;
  sizes: Config['translate']['batchSize'];
  tokenBudget: number;
  /** estimated tokens of the batch system prompt (counted against the budget) */
  batchPromptTokens: number;
  /** estimated tokens of the single (vip) system prompt */
  singlePromptTokens: number;
}

/** The tokens profile never puts more texts than this in one call: answers get unreliable past it. */
export const MAX_ITEMS_PER_CALL = 100;

export function packingOptions(cfg: Config['translate'], prompts: { batch: number; single: number }): PackingOptions {
  return {
    profile: cfg.packing,
    sizes: cfg.batchSize,
    tokenBudget: cfg.tokenBudget,
    batchPromptTokens: prompts.batch,
    singlePromptTokens: prompts.single,
  };
}

/** Estimated input tokens of a call carrying these texts. */
export function callTokens(items: Packable[], o: PackingOptions): number {
  const text = items.reduce((n, i) => n + i.tokens, 0);
  if (items.length === 1) return CALL_OVERHEAD_TOKENS + o.singlePromptTokens + text;
  return CALL_OVERHEAD_TOKENS + o.batchPromptTokens + text + items.length * ITEM_OVERHEAD_TOKENS;
}

/**
 * Accumulates texts across claimed chunks and hands out batches as soon as they are full, so a run of many chunks
 * makes as few calls as one big chunk would; `flush` sends what is left when the run has no more work.
 */
export class Packer<T extends Packable> {
  private queues: Record<ReviewClass, T[]> = { short: [], standard: [], vip: [] };
  private queueTokens: Record<ReviewClass, number> = { short: 0, standard: 0, vip: 0 };

  constructor(private o: PackingOptions) {}

  /** texts waiting for their batch to fill */
  get waiting(): number {
    return CLASS_ORDER.reduce((n, c) => n + this.queues[c].length, 0);
  }

  add(items: T[]): Array<Batch<T>> {
    const out: Array<Batch<T>> = [];
    for (const cls of CLASS_ORDER) {
      for (const item of items) if (item.cls === cls) this.push(item, out);
    }
    return out;
  }

  flush(): Array<Batch<T>> {
    const out: Array<Batch<T>> = [];
    for (const cls of CLASS_ORDER) if (this.queues[cls].length) out.push(this.take(cls));
    return out;
  }

  private push(item: T, out: Array<Batch<T>>): void {
    const cls = item.cls;
    if (this.o.profile === 'tokens') {
      const q = this.queues[cls];
      const budget = this.o.tokenBudget - CALL_OVERHEAD_TOKENS - this.o.batchPromptTokens;
      const next = this.queueTokens[cls] + item.tokens + ITEM_OVERHEAD_TOKENS;
      if (q.length > 0 && (next > budget || q.length >= MAX_ITEMS_PER_CALL)) out.push(this.take(cls));
      this.queues[cls].push(item);
      this.queueTokens[cls] += item.tokens + ITEM_OVERHEAD_TOKENS;
      return;
    }
    this.queues[cls].push(item);
    if (this.queues[cls].length >= this.o.sizes[cls]) out.push(this.take(cls));
  }

  private take(cls: ReviewClass): Batch<T> {
    const items = this.queues[cls];
    this.queues[cls] = [];
    this.queueTokens[cls] = 0;
    return { cls, items, tokens: callTokens(items, this.o) };
  }
}

/** All batches for a known list of texts (estimate, bench): add everything, then flush. */
export function packAll<T extends Packable>(items: T[], o: PackingOptions): Array<Batch<T>> {
  const p = new Packer<T>(o);
  const full = p.add(items);
  const rest = p.flush();
  // keep the run order: every short batch, then standard, then vip
  return [...full, ...rest].sort((a, b) => CLASS_ORDER.indexOf(a.cls) - CLASS_ORDER.indexOf(b.cls));
}
