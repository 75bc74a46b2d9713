import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/db.js';
import type { ReviewRow } from '../store/reviews.js';
import { readCache } from '../store/translations.js';
import { hasLetters, normaliseForPrompt, sha256 } from '../text.js';
import { convertChinese, planText, type TextPlan } from '../language.js';
import { classify, classifyTitle } from './classifier.js';
import type { ReviewClass } from '../domain.js';
import { estimateTokens } from './tokens.js';

/**
 * Turns claimed reviews into the texts a run must pay for. Per text (body, title): no letters or already in the
 * target language -> no call; Chinese in the other script (Traditional for a Simplified target) -> converted
 * locally by OpenCC, no call; seen earlier in this run -> shares that result; in the cache -> no call; else a
 * new item for the packer. Only the normalised text goes to a prompt; stored originals stay untouched.
 */
export type TextResult = { ok: true; value: string; source: 'call' | 'cache' | 'skip' | 'convert' } | { ok: false; error: string };

export interface PendingText {
  norm: string;
  hash: string;
  cls: ReviewClass;
  tokens: number;
  /** the text's language when detection is sure of it, named in the prompt */
  lang?: string;
  resolve: (r: TextResult) => void;
}

/** The columns of a claimed review that translating it reads. */
export const TRANSLATE_COLUMNS = ['id', 'body', 'title', 'rating', 'tr_attempts'] as const;
export type TranslateRow = Pick<ReviewRow, (typeof TRANSLATE_COLUMNS)[number]>;

export interface PreparedReview<R extends TranslateRow = TranslateRow> {
  row: R;
  cls: ReviewClass;
  body: Promise<TextResult>;
  title: Promise<TextResult> | null;
}

/** What a text needs: nothing (no letters, or already in the target language), a local conversion, or a call. */
export function planFor(norm: string, target: string): TextPlan['action'] | 'none' {
  if (!hasLetters(norm)) return 'none';
  return planText(norm, target).action;
}

/** a text's result and what it costs to keep: the key, the promise, and a translation about as long as the text */
type Known = { p: Promise<TextResult>; bytes: number };
const KNOWN_BYTES = 4 * 1024 * 1024;
const knownBytes = (norm: string) => 200 + 4 * norm.length;

export class TextBook {
  /**
   * hash of the normalised text -> its result, for the whole run: identical texts are paid once. Bounded by bytes
   * (a count bound let long texts take hundreds of MB) so a backlog of millions stays flat; a text that falls out
   * is found in the cache table instead.
   */
  private known = new LRUCache<string, Known>({ maxSize: KNOWN_BYTES, sizeCalculation: (v) => v.bytes });

  constructor(
    private store: Store,
    private cfg: Config,
  ) {}

  async prepare<R extends TranslateRow>(
    rows: R[],
  ): Promise<{ reviews: Array<PreparedReview<R>>; items: PendingText[]; cacheHits: number }> {
    const target = this.cfg.translate.targetLanguage;
    type Need = { norm: string; hash: string; cls: ReviewClass; original: string; lang?: string };
    const needs: Need[] = [];
    const slots: Array<{ row: R; cls: ReviewClass; body: Need | TextResult; title: Need | TextResult | null }> = [];
    const look = (original: string, cls: ReviewClass): Need | TextResult => {
      const norm = normaliseForPrompt(original);
      if (!hasLetters(norm)) return { ok: true, value: original, source: 'skip' };
      const plan = planText(norm, target);
      if (plan.action === 'skip') return { ok: true, value: original, source: 'skip' };
      if (plan.action === 'convert') return { ok: true, value: convertChinese(original, target), source: 'convert' };
      const need = { norm, hash: sha256(norm), cls, original, lang: plan.lang.confident ? plan.lang.lang : undefined };
      needs.push(need);
      return need;
    };
    for (const row of rows) {
      const cls = classify(row.body ?? '', row.rating, this.cfg.translate);
      const body = look(row.body ?? '', cls);
      const title = row.title && row.title.trim() ? look(row.title, classifyTitle(row.title, this.cfg.translate)) : null;
      slots.push({ row, cls, body, title });
    }
    // one cache read for the chunk's unseen texts
    const unseen = [...new Set(needs.filter((n) => !this.known.has(n.hash)).map((n) => n.hash))];
    const cached = unseen.length ? await readCache(this.store, unseen, this.cacheKey()) : new Map<string, string>();
    const items: PendingText[] = [];
    const mine = new Map<string, Promise<TextResult>>();
    let cacheHits = 0;
    for (const n of needs) {
      const known = this.known.get(n.hash);
      if (known) {
        mine.set(n.hash, known.p);
        continue;
      }
      const hit = cached.get(n.hash);
      let p: Promise<TextResult>;
      if (hit !== undefined) {
        cacheHits++;
        p = Promise.resolve({ ok: true, value: hit, source: 'cache' });
      } else {
        let resolve!: (r: TextResult) => void;
        p = new Promise<TextResult>((r) => (resolve = r));
        items.push({ norm: n.norm, hash: n.hash, cls: n.cls, tokens: estimateTokens(n.norm), lang: n.lang, resolve });
      }
      this.known.set(n.hash, { p, bytes: knownBytes(n.norm) });
      mine.set(n.hash, p);
    }
    // this chunk's own map: an entry the LRU drops meanwhile still reaches the reviews that wait on it
    const toPromise = (x: Need | TextResult): Promise<TextResult> => ('norm' in x ? mine.get(x.hash)! : Promise.resolve(x));
    const reviews = slots.map((s) => ({ row: s.row, cls: s.cls, body: toPromise(s.body), title: s.title ? toPromise(s.title) : null }));
    return { reviews, items, cacheHits };
  }

  cacheKey() {
    return { model: this.cfg.llm.model, targetLang: this.cfg.translate.targetLanguage };
  }
}
