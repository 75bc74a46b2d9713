/**
 * Storing a chunk of validated reviews, the one write every ingest path goes through (the ingestion lane, the Redis
 * ingest buffer, `voc ingest --direct` and its writer thread). PostgreSQL's way is in insert-pg.ts.
 */
import { now, withConnection, type SqliteDb, type Store } from './db.js';
import { insertPg, type PgConn } from './insert-pg.js';
import { COLUMNS, judgeExisting, metaPatch, type InsertOptions, type InsertResult, type NewReview } from './reviews.js';

/** Within-chunk duplicates first: the first row of a source key is the one tried, a repeat is counted here. */
function dedupeChunk(rows: NewReview[], result: InsertResult): NewReview[] {
  const seen = new Map<string, NewReview>();
  const fresh: NewReview[] = [];
  for (const r of rows) {
    const prev = seen.get(r.sourceKey);
    if (prev) {
      if (prev.bodyHash === r.bodyHash) result.duplicates++;
      else result.conflicts.push({ line: r.line, reviewId: r.reviewId, sourceKey: r.sourceKey });
      continue;
    }
    seen.set(r.sourceKey, r);
    fresh.push(r);
  }
  return fresh;
}
/**
 * Insert one chunk in one transaction. Existing source keys are duplicates (same body) or conflicts (other body);
 * ON CONFLICT DO NOTHING keeps two daemons ingesting the same file from failing each other. The statements go to
 * the driver's own connection: building a 17,000-parameter INSERT through the query builder cost more than the
 * database spent on it.
 */
export async function insertReviews(store: Store, rows: NewReview[], opts: InsertOptions = {}): Promise<InsertResult> {
  const result: InsertResult = { inserted: 0, duplicates: 0, conflicts: [], newProducts: [] };
  if (rows.length === 0 && !opts.products?.length) return result;
  const fresh = dedupeChunk(rows, result);
  await withConnection(store, (conn) =>
    store.dialect === 'pg' ? insertPg(conn as PgConn, fresh, opts, result) : insertSqlite(conn as SqliteDb, fresh, opts, result),
  );
  return result;
}
const SQLITE_INSERT = {
  existing: 'SELECT body_hash FROM reviews WHERE source_key = ?',
  product: 'INSERT INTO products (id, first_seen_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
  review: `INSERT INTO reviews (${COLUMNS.join(', ')}, ingest_file, created_at, tr_status, ins_status)
         VALUES (${COLUMNS.map(() => '?').join(', ')}, ?, ?, 'pending', 'pending') ON CONFLICT (source_key) DO NOTHING`,
};

/** Prepared once per connection (the connection keeps its statements, see db.ts): a chunk is a loop of bound runs. */
function statementsFor(db: SqliteDb) {
  return {
    existing: db.prepare(SQLITE_INSERT.existing),
    product: db.prepare(SQLITE_INSERT.product),
    review: db.prepare(SQLITE_INSERT.review),
  };
}

function insertSqlite(db: SqliteDb, rows: NewReview[], opts: InsertOptions, result: InsertResult): void {
  const st = statementsFor(db);
  const ts = now();
  const file = opts.ingestFile ?? null;
  const productsDone = new Set<string>();
  const ensureProduct = (id: string) => {
    if (productsDone.has(id)) return;
    productsDone.add(id);
    if (st.product.run(id, ts).changes > 0) result.newProducts.push(id);
  };
  // one synchronous transaction: nothing else writes between the insert and the look-up of a key it found taken.
  // Insert first: a new row (the common case) costs one look-up of its key instead of two.
  db.transaction(() => {
    for (const r of rows) {
      const n = st.review.run(
        r.sourceKey,
        r.reviewId ?? null,
        r.productId,
        r.marketplace ?? null,
        r.rating,
        r.title ?? null,
        r.body,
        r.bodyHash,
        r.reviewDate ?? null,
        r.author ?? null,
        r.language ?? null,
        r.class,
        r.bodyLen,
        file,
        ts,
      ).changes;
      if (n > 0) {
        result.inserted++;
        ensureProduct(r.productId);
        continue;
      }
      const stored = st.existing.get(r.sourceKey) as { body_hash: string } | undefined;
      if (stored) judgeExisting(r, stored.body_hash, result);
      else result.duplicates++;
    }
    for (const meta of opts.products ?? []) {
      ensureProduct(meta.id);
      const patch = metaPatch(meta);
      if (!patch) continue;
      const keys = Object.keys(patch);
      db.prepare(`UPDATE products SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...keys.map((k) => patch[k]), meta.id);
    }
  })();
}
