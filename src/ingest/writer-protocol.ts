import { VocError, errorMessage } from '../errors.js';
import type { InsertResult, ProductMeta } from '../store/reviews.js';
import type { WireRow } from './wire.js';

/** What `voc ingest --direct` posts to its writer thread. */
export type WriterRequest =
  | { kind: 'chunk'; id: number; file: string | null; fields: readonly string[]; rows: WireRow[]; products?: ProductMeta[] }
  | { kind: 'close' };

export interface ThreadError {
  message: string;
  code?: string;
  hint?: string;
  exitCode?: number;
}

export type WriterReply = { id: number; result: InsertResult } | { id: number; error: ThreadError };

/** An error as it crosses the thread boundary: a VocError keeps its code, hint and exit code. */
export function toThreadError(err: unknown): ThreadError {
  if (err instanceof VocError) return { message: err.message, code: err.code, hint: err.hint, exitCode: err.exitCode };
  return { message: errorMessage(err) };
}

export function fromThreadError(e: ThreadError): Error {
  return e.code ? new VocError(e.code, e.message, { hint: e.hint, exitCode: e.exitCode }) : new Error(e.message);
}
