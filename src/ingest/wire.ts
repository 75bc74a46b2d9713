import type { NewReview } from '../store/reviews.js';

/**
 * The compact form a chunk's rows travel in between `voc ingest` and the daemon: one array per row, fields in
 * this order, named once per chunk instead of once per row (the keys were a third of every chunk's JSON, built by
 * the client and parsed again by the daemon).
 */
export const WIRE_FIELDS = [
  'sourceKey',
  'reviewId',
  'productId',
  'marketplace',
  'rating',
  'title',
  'body',
  'bodyHash',
  'reviewDate',
  'author',
  'language',
  'class',
  'bodyLen',
  'line',
] as const satisfies ReadonlyArray<keyof NewReview>;

export type WireRow = unknown[];

export function toWireRows(rows: NewReview[]): WireRow[] {
  const out = new Array<WireRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const row = new Array<unknown>(WIRE_FIELDS.length);
    for (let f = 0; f < WIRE_FIELDS.length; f++) row[f] = r[WIRE_FIELDS[f]] ?? null;
    out[i] = row;
  }
  return out;
}

/**
 * Rows back into row objects, by the fields `fields` names (a sender may name them in another order); unchecked,
 * as a row object parsed from JSON would be.
 */
export function fromWireRows(fields: readonly string[], rows: WireRow[]): Array<Record<string, unknown>> {
  const out = new Array<Record<string, unknown>>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Array.isArray(row)) {
      out[i] = {};
      continue;
    }
    const r: Record<string, unknown> = {};
    for (let f = 0; f < fields.length; f++) if (row[f] !== undefined) r[fields[f]] = row[f];
    out[i] = r;
  }
  return out;
}
