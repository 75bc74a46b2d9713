import type { Knex } from 'knex';

/** The core tables. Times are epoch milliseconds (bigint) so SQLite and PostgreSQL agree. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('products', (t) => {
    t.string('id', 255).primary();
    t.text('title');
    t.text('bullet_points'); // JSON array
    t.text('bullet_points_zh'); // JSON array
    t.string('bp_status', 16).notNullable().defaultTo('none'); // none | pending | in_progress | done | failed
    t.string('bp_owner', 128);
    t.bigInteger('bp_lease');
    t.bigInteger('first_seen_at').notNullable();
    t.bigInteger('learned_at');
    t.string('learn_status', 16).notNullable().defaultTo('none'); // none | pending | in_progress | done | failed
    t.text('learn_error');
  });

  await knex.schema.createTable('reviews', (t) => {
    t.increments('id').primary();
    t.string('source_key', 512).notNullable().unique();
    t.string('review_id', 255);
    t.string('product_id', 255).notNullable();
    t.string('marketplace', 64);
    t.integer('rating').notNullable();
    t.text('title');
    t.text('body').notNullable();
    t.string('body_hash', 64).notNullable();
    t.string('review_date', 10);
    t.text('author');
    t.string('language', 16);
    t.string('class', 10).notNullable();
    t.integer('body_len').notNullable();
    t.text('ingest_file');
    t.bigInteger('created_at').notNullable();
    for (const p of ['tr', 'ins', 'thm']) {
      t.string(`${p}_status`, 12).notNullable().defaultTo('pending');
      t.integer(`${p}_attempts`).notNullable().defaultTo(0);
      t.text(`${p}_error`);
      t.string(`${p}_owner`, 128);
      t.bigInteger(`${p}_lease`);
      t.integer(`${p}_job`);
      t.bigInteger(`${p}_at`);
    }
    t.text('title_zh');
    t.text('body_zh');
    t.boolean('tr_cached');
    t.index(['tr_status', 'id']);
    t.index(['product_id', 'ins_status']);
    t.index(['product_id', 'thm_status']);
    t.index(['product_id', 'review_date']);
    t.index(['tr_job']);
    t.index(['body_hash']);
  });

  await knex.schema.createTable('translation_cache', (t) => {
    t.string('text_hash', 64).notNullable();
    t.string('model', 128).notNullable();
    t.string('target_lang', 16).notNullable();
    t.text('translation').notNullable();
    t.bigInteger('created_at').notNullable();
    t.primary(['text_hash', 'model', 'target_lang']);
  });

  await knex.schema.createTable('product_labels', (t) => {
    t.increments('id').primary();
    t.string('product_id', 255).notNullable().index();
    t.string('kind', 16).notNullable(); // dimension | who | what | when | where | why
    t.string('name', 255).notNullable();
    t.string('name_zh', 255);
    t.text('description');
    t.bigInteger('learned_at').notNullable();
  });

  await knex.schema.createTable('insights', (t) => {
    t.increments('id').primary();
    t.integer('review_id').notNullable().index();
    t.string('product_id', 255).notNullable();
    t.string('type', 32).notNullable();
    t.string('dimension', 255).notNullable();
    t.string('sentiment', 16).notNullable();
    t.text('quote').notNullable();
    t.text('summary_zh').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['product_id', 'dimension', 'type']);
  });

  await knex.schema.createTable('themes', (t) => {
    t.increments('id').primary();
    t.integer('review_id').notNullable().index();
    t.string('product_id', 255).notNullable();
    t.string('w', 8).notNullable(); // who | what | when | where | why
    t.text('tag').notNullable();
    t.integer('label_id');
    t.bigInteger('created_at').notNullable();
    t.index(['product_id', 'w', 'label_id']);
  });

  await knex.schema.createTable('jobs', (t) => {
    t.increments('id').primary();
    t.string('kind', 32).notNullable(); // translate | learn | analyze | report | bullets
    t.string('lane', 32).notNullable();
    t.string('product_id', 255);
    t.text('params'); // JSON
    t.string('status', 16).notNullable().defaultTo('queued'); // queued | running | done | failed
    t.text('result'); // JSON
    t.text('error');
    t.string('owner', 128);
    t.bigInteger('lease');
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('source', 32);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('started_at');
    t.bigInteger('finished_at');
    t.index(['status', 'kind']);
  });

  await knex.schema.createTable('llm_usage', (t) => {
    t.increments('id').primary();
    t.bigInteger('ts').notNullable().index();
    t.string('lane', 32).notNullable();
    t.string('product_id', 255);
    t.integer('job_id');
    t.text('ingest_file');
    t.string('model', 128).notNullable();
    t.integer('prompt_tokens').notNullable().defaultTo(0);
    t.integer('completion_tokens').notNullable().defaultTo(0);
    t.double('cost').notNullable().defaultTo(0);
    t.string('status', 16).notNullable(); // ok | error | rate_limited
    t.integer('latency_ms');
    t.integer('items');
    t.index(['product_id']);
    t.index(['job_id']);
  });

  await knex.schema.createTable('daemons', (t) => {
    t.string('id', 128).primary();
    t.string('host', 255).notNullable();
    t.integer('pid').notNullable();
    t.text('home').notNullable();
    t.string('version', 32);
    t.bigInteger('started_at').notNullable();
    t.bigInteger('heartbeat_at').notNullable();
    t.bigInteger('stopped_at');
    t.text('stats'); // JSON snapshot for the cluster view
  });

  await knex.schema.createTable('lane_state', (t) => {
    t.string('lane', 32).primary();
    t.boolean('paused').notNullable().defaultTo(false);
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('beat_ticks', (t) => {
    t.string('name', 64).primary();
    t.bigInteger('last_tick').notNullable();
    t.string('owner', 128);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of [
    'beat_ticks',
    'lane_state',
    'daemons',
    'llm_usage',
    'jobs',
    'themes',
    'insights',
    'product_labels',
    'translation_cache',
    'reviews',
    'products',
  ]) {
    await knex.schema.dropTableIfExists(t);
  }
}
