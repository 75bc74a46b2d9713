import type { NewReview, ProductMeta } from '../store/reviews.js';

export type Format = 'csv' | 'json' | 'ndjson';

/** What readReviews yields: reviews, per-row rejects, product metadata and byte progress, in file order. */
export type ReadItem =
  | {
      kind: 'review';
      review: NewReview;
      /** stored, with something to say (a date left out, bytes that were not text) */ warning?: { field: string; reason: string };
    }
  | { kind: 'reject'; file: string; line: number; field: string; reason: string; /** the row as read, for --rejects */ row?: unknown }
  | { kind: 'product'; product: ProductMeta }
  | { kind: 'progress'; bytes: number; totalBytes: number | null }
  /** something the user should know about how the file was read (an encoding guessed from its text) */
  | { kind: 'notice'; file: string; text: string };

/** What a format reader yields before validation: a record with source column names, or a broken record. */
export type RawItem =
  | { kind: 'record'; record: Record<string, unknown>; line: number }
  | { kind: 'reject'; line: number; field: string; reason: string; row?: unknown }
  | { kind: 'product'; product: ProductMeta };

/**
 * The stream itself broke (JSON cut off, an unclosed quote, a corrupt gzip): the reader stops there. Rows before
 * it are kept; if there were none the file counts as unreadable.
 */
export class StreamBroken extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'StreamBroken';
  }
}

/** Largest single record a reader buffers; a longer one (an unclosed quote) stops the file instead of eating memory. */
export const maxRecordChars = (maxFieldLength: number): number => Math.max(maxFieldLength * 10, 16 * 1024 * 1024);
