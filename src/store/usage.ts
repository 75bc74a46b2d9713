import type { UsageRow, UsageWriter } from '../llm/usage.js';
import type { Store } from './db.js';

/*
 * A batch of usage rows travels as one JSON parameter, unpacked by the database: one short statement however many
 * rows, instead of a multi-row insert whose SQL knex builds and the database compiles again on every flush.
 */
const COLUMNS = `ts, lane, product_id, job_id, ingest_file, model, prompt_tokens, completion_tokens, cost, status, latency_ms, items, batch`;
const INSERT = {
  sqlite: `INSERT INTO llm_usage (${COLUMNS})
    SELECT json_extract(value, '$.ts'), json_extract(value, '$.lane'), json_extract(value, '$.product_id'),
      json_extract(value, '$.job_id'), json_extract(value, '$.ingest_file'), json_extract(value, '$.model'),
      json_extract(value, '$.prompt_tokens'), json_extract(value, '$.completion_tokens'), json_extract(value, '$.cost'),
      json_extract(value, '$.status'), json_extract(value, '$.latency_ms'), json_extract(value, '$.items'),
      coalesce(json_extract(value, '$.batch'), 0)
    FROM json_each(?)`,
  pg: `INSERT INTO llm_usage (${COLUMNS})
    SELECT v.ts, v.lane, v.product_id, v.job_id, v.ingest_file, v.model, v.prompt_tokens, v.completion_tokens, v.cost,
      v.status, v.latency_ms, v.items, coalesce(v.batch, false)
    FROM json_to_recordset(?::json) AS v(ts bigint, lane text, product_id text, job_id integer, ingest_file text, model text,
      prompt_tokens integer, completion_tokens integer, cost double precision, status text, latency_ms integer, items integer,
      batch boolean)`,
};

/** Where the gateway's usage ledger lands: rows of llm_usage, one statement per batch. */
export function usageWriter(store: Store): UsageWriter {
  return async (rows: UsageRow[]) => {
    if (rows.length) await store.knex.raw(INSERT[store.dialect], [JSON.stringify(rows)]);
  };
}
