import type { Knex } from 'knex';

/**
 * Nothing reads reviews by tr_job (translation jobs count their reviews through claims by status and id), so its
 * index only cost write time on every ingested row. The indexes that stay are each read: source_key (duplicates),
 * (tr_status, id) translation claims, (product_id, ins_status|thm_status) analysis claims, (product_id,
 * review_date) report scopes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reviews', (t) => t.dropIndex(['tr_job']));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reviews', (t) => t.index(['tr_job']));
}
