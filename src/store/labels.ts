import type { Store } from './db.js';
import { now } from './db.js';
import { W_KEYS, type LearnAnswer, type WKey } from '../domain.js';
import { normaliseForPrompt } from '../text.js';
import { VocError } from '../errors.js';

/**
 * A product's learned model: its dimensions and 5W labels (product_labels), and the learn state on products.
 * While a product is being learned, products.learned_at holds the claim's lease deadline (there is no separate
 * lease column); it is set back to the time learned when the claim ends.
 */
export type LabelKind = 'dimension' | WKey;
export const LABEL_KINDS: LabelKind[] = ['dimension', ...W_KEYS];

export interface LabelRow {
  id: number;
  product_id: string;
  kind: LabelKind;
  name: string;
  name_zh: string | null;
  description: string | null;
  learned_at: number;
}

export interface LearnState {
  productId: string;
  status: 'none' | 'pending' | 'in_progress' | 'done' | 'failed';
  learnedAt: number | null;
  error: string | null;
}

export async function listLabels(store: Store, productId: string): Promise<LabelRow[]> {
  return store.knex('product_labels').where({ product_id: productId }).orderBy('id');
}

/** The one answer for a product id the store does not hold (learn, analyze, export, a job's submission). */
export const noSuchProduct = (productId: string): VocError =>
  new VocError('NOT_FOUND', `no product ${productId} in the store`, {
    hint: 'ids are as the ingested file has them, case included; ingest its reviews first with `voc ingest FILE`',
  });

export async function learnState(store: Store, productId: string): Promise<LearnState | null> {
  const row = await store.knex('products').where({ id: productId }).first('id', 'learn_status', 'learned_at', 'learn_error');
  if (!row) return null;
  return {
    productId: row.id,
    status: row.learn_status,
    learnedAt: row.learned_at == null ? null : Number(row.learned_at),
    error: row.learn_error,
  };
}

/**
 * Claim a product for learning: one conditional UPDATE, so of several daemons exactly one wins. A done product is
 * only relearned with force; an in-progress claim whose lease ran out (its daemon died) is taken over.
 * Returns the lease token (the deadline written to learned_at) or null when someone else holds it.
 */
export async function claimLearn(store: Store, productId: string, o: { force?: boolean; leaseMs: number }): Promise<number | null> {
  const ts = now();
  const token = ts + o.leaseMs;
  const claimable = o.force ? ['none', 'pending', 'failed', 'done'] : ['none', 'pending', 'failed'];
  const n = await store
    .knex('products')
    .where({ id: productId })
    .andWhere((q) => {
      q.whereIn('learn_status', claimable).orWhere((q2) => q2.where('learn_status', 'in_progress').andWhere('learned_at', '<', ts));
    })
    .update({ learn_status: 'in_progress', learned_at: token, learn_error: null });
  return n === 1 ? token : null;
}

/** Push the lease forward; returns the new token, or null when the claim was lost. */
export async function renewLearn(store: Store, productId: string, token: number, leaseMs: number): Promise<number | null> {
  const next = Math.max(now() + leaseMs, token + 1);
  const n = await store
    .knex('products')
    .where({ id: productId, learn_status: 'in_progress', learned_at: token })
    .update({ learned_at: next });
  return n === 1 ? next : null;
}

/** Replace the product's labels in one transaction, only while the claim is still ours. */
export async function replaceLabels(
  store: Store,
  productId: string,
  token: number,
  answer: LearnAnswer,
): Promise<{ stored: number } | null> {
  const ts = now();
  return store.knex.transaction(async (trx) => {
    const n = await trx('products')
      .where({ id: productId, learn_status: 'in_progress', learned_at: token })
      .update({ learn_status: 'done', learned_at: ts, learn_error: null });
    if (n !== 1) return null;
    await trx('product_labels').where({ product_id: productId }).delete();
    const rows: Array<Omit<LabelRow, 'id'>> = [];
    const seen = new Set<string>();
    const add = (kind: LabelKind, name: string, nameZh: string | null, description: string | null) => {
      const key = `${kind}\u0000${name.trim().toLowerCase()}`;
      if (seen.has(key)) return; // the model repeats itself now and then; one label per name
      seen.add(key);
      rows.push({ product_id: productId, kind, name: name.trim(), name_zh: nameZh?.trim() || null, description, learned_at: ts });
    };
    for (const d of answer.dimensions) add('dimension', d.name, d.name_zh, d.description || null);
    for (const w of W_KEYS) for (const l of answer.labels[w]) add(w, l.name, l.name_zh, null);
    for (let i = 0; i < rows.length; i += 100) await trx('product_labels').insert(rows.slice(i, i + 100));
    return { stored: rows.length };
  });
}

/** The claim ends without a new model: failed with the reason; learned_at goes back to the last good model. */
export async function failLearn(store: Store, productId: string, token: number, error: string): Promise<void> {
  const last = await store.knex('product_labels').where({ product_id: productId }).max<{ m: number | null }[]>({ m: 'learned_at' }).first();
  await store
    .knex('products')
    .where({ id: productId, learn_status: 'in_progress', learned_at: token })
    .update({ learn_status: 'failed', learn_error: error.slice(0, 1000), learned_at: last?.m == null ? null : Number(last.m) });
}

/** Give the claim back untried (shutdown): the product returns to its last model, or to never learned. */
export async function releaseLearn(store: Store, productId: string, token: number): Promise<void> {
  const last = await store.knex('product_labels').where({ product_id: productId }).max<{ m: number | null }[]>({ m: 'learned_at' }).first();
  const learned = last?.m != null;
  await store
    .knex('products')
    .where({ id: productId, learn_status: 'in_progress', learned_at: token })
    .update({ learn_status: learned ? 'done' : 'none', learned_at: learned ? Number(last!.m) : null });
}

/** A sample spread over ratings (round-robin 5,1,4,2,3, longest first), translated text where there is one. */
export async function sampleForLearning(
  store: Store,
  productId: string,
  size: number,
  maxChars = 1200,
): Promise<Array<{ rating: number; text: string; translated: boolean }>> {
  const byRating: Array<Array<{ rating: number; body: string; body_zh: string | null }>> = [];
  for (const rating of [5, 1, 4, 2, 3]) {
    byRating.push(
      await store
        .knex('reviews')
        .where({ product_id: productId, rating })
        .orderBy([{ column: 'body_len', order: 'desc' }, { column: 'id' }])
        .limit(size)
        .select('rating', 'body', 'body_zh'),
    );
  }
  const out: Array<{ rating: number; body: string; body_zh: string | null }> = [];
  for (let i = 0; out.length < size && byRating.some((l) => l.length > i); i++) {
    for (const list of byRating) if (list[i] && out.length < size) out.push(list[i]);
  }
  return out.map((r) => ({
    rating: Number(r.rating),
    text: (r.body_zh || normaliseForPrompt(r.body)).slice(0, maxChars),
    translated: !!r.body_zh,
  }));
}

/** Products never learned that have at least `minReviews` reviews (the automatic learning at start-up). */
export async function productsToLearn(store: Store, minReviews: number, ids?: string[]): Promise<string[]> {
  const q = store
    .knex('products as p')
    .join('reviews as r', 'r.product_id', 'p.id')
    .where('p.learn_status', 'none')
    .groupBy('p.id')
    .havingRaw('count(r.id) >= ?', [minReviews])
    .select('p.id');
  if (ids) q.whereIn('p.id', ids);
  const rows = await q;
  return rows.map((r: { id: string }) => r.id);
}

export async function productIds(store: Store): Promise<string[]> {
  const rows = await store.knex('products').orderBy('id').select('id');
  return rows.map((r: { id: string }) => r.id);
}
