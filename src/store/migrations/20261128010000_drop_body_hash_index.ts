import type { Knex } from 'knex';

/**
 * Duplicates are found by source key, never by body hash alone, so the body_hash index only cost write time on
 * every ingested row (one of eight indexes on reviews).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reviews', (t) => t.dropIndex(['body_hash']));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reviews', (t) => t.index(['body_hash']));
}
