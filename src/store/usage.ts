import type { UsageRow, UsageWriter } from '../llm/usage.js';
import type { Store } from './db.js';

/** Where the gateway's usage ledger lands: rows of llm_usage, in batches of 100 per statement. */
export function usageWriter(store: Store): UsageWriter {
  return async (rows: UsageRow[]) => {
    await store.knex.batchInsert('llm_usage', rows, 100);
  };
}
