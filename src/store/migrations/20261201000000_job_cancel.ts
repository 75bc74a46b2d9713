import type { Knex } from 'knex';

/**
 * `voc jobs cancel`: a job row remembers that a cancel was asked for (`cancel_requested_at`) until the job has
 * wound down and its row says `cancelled`, so a daemon killed half-way through a cancel finishes it after a
 * restart. A Batch API row carries the request too (`cancel_requested`): whichever daemon drives the row cancels it
 * with the provider, keeps the lines already answered and hands the rest of its reviews back.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('jobs', (t) => t.bigInteger('cancel_requested_at'));
  await knex.schema.alterTable('llm_batches', (t) => t.boolean('cancel_requested').notNullable().defaultTo(false));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('llm_batches', (t) => t.dropColumn('cancel_requested'));
  await knex.schema.alterTable('jobs', (t) => t.dropColumn('cancel_requested_at'));
}
