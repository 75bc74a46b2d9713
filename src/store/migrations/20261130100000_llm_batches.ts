import type { Knex } from 'knex';

/**
 * The provider's Batch API: every uploaded file and created batch is a row before anything else happens, so a
 * restarted (or another) daemon resumes polling and never uploads or pays twice. Lines are the calls a batch
 * carries: the texts (by hash) each asks for, so an answer is checked against what was asked and never lands on
 * another text. Usage rows say whether a call was made through the Batch API (billed at the batch price).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('llm_batches', (t) => {
    t.increments('id').primary();
    t.integer('job_id');
    t.string('kind', 16).notNullable(); // translate
    // prepared -> uploading -> uploaded -> creating -> submitted -> collecting -> done | rejected | cancelled
    t.string('state', 16).notNullable();
    t.string('nonce', 40).notNullable();
    t.string('file_id', 255);
    t.string('batch_id', 255);
    t.string('provider_status', 32);
    t.string('output_file_id', 255);
    t.string('error_file_id', 255);
    t.integer('requests').notNullable().defaultTo(0);
    t.integer('completed').notNullable().defaultTo(0);
    t.integer('failed').notNullable().defaultTo(0);
    t.bigInteger('bytes').notNullable().defaultTo(0);
    t.double('cost').notNullable().defaultTo(0);
    t.text('error');
    // the daemon driving the row now (a lease like review claims: a dead driver's rows are taken over)
    t.string('driver', 255);
    t.bigInteger('driver_lease');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['state']);
    t.index(['job_id']);
  });
  await knex.schema.createTable('llm_batch_lines', (t) => {
    t.increments('id').primary();
    t.integer('batch').notNullable().references('id').inTable('llm_batches').onDelete('CASCADE');
    t.string('custom_id', 64).notNullable();
    t.string('cls', 16).notNullable();
    // JSON [{"hash", "norm"}]: the texts asked for, in key order r1, r2, ...
    t.text('texts').notNullable();
    // pending | done | redo
    t.string('status', 16).notNullable().defaultTo('pending');
    t.text('error');
    t.unique(['batch', 'custom_id']);
  });
  await knex.schema.alterTable('llm_usage', (t) => {
    t.boolean('batch').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('llm_usage', (t) => t.dropColumn('batch'));
  await knex.schema.dropTableIfExists('llm_batch_lines');
  await knex.schema.dropTableIfExists('llm_batches');
}
