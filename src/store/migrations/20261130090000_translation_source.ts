import type { Knex } from 'knex';

/**
 * `tr_source` says where a review's translation came from: `llm` (a call), `cache`, or `opencc` (Traditional <->
 * Simplified Chinese converted locally, no call). Reviews the old skip rule passed over are queued again: it counted
 * Han characters only, so short Japanese text with a few kanji, and Traditional Chinese, were marked `skipped`
 * without a word. The new rule skips what is really in the target language again at no cost; the rest is
 * translated or converted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reviews', (t) => t.string('tr_source', 16));
  await knex('reviews').where('tr_status', 'skipped').update({ tr_status: 'pending', tr_owner: null, tr_lease: null, tr_job: null });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reviews', (t) => t.dropColumn('tr_source'));
}
