import type { Knex } from 'knex';
import * as initial from './20261128000000_initial.js';
import * as dropBodyHashIndex from './20261128010000_drop_body_hash_index.js';
import * as dropTrJobIndex from './20261130000000_drop_tr_job_index.js';
import * as translationSource from './20261130090000_translation_source.js';
import * as llmBatches from './20261130100000_llm_batches.js';
import * as jobCancel from './20261201000000_job_cancel.js';
import * as productIndex from './20261201010000_product_index.js';
import * as datesAndKanji from './20261201020000_dates_and_kanji.js';

/** Migrations are listed in code so the compiled package needs no directory scan. Append, never edit. */
const MIGRATIONS: Record<string, Knex.Migration> = {
  '20261128000000_initial': initial,
  '20261128010000_drop_body_hash_index': dropBodyHashIndex,
  '20261130000000_drop_tr_job_index': dropTrJobIndex,
  '20261130090000_translation_source': translationSource,
  '20261130100000_llm_batches': llmBatches,
  '20261201000000_job_cancel': jobCancel,
  '20261201010000_product_index': productIndex,
  '20261201020000_dates_and_kanji': datesAndKanji,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name],
};
