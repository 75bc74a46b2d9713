import type { LlmLane } from '../config/schema.js';
import type { LlmRequest } from '../llm/types.js';
import type { BatchKind, BatchLineRow, BatchRow } from '../store/batches.js';

/**
 * What one kind of work (translation, insights, themes) brings to the Batch API engine: how a line becomes a
 * request, how an answer is checked and stored, how a line is redone in realtime, and how the batch's reviews are
 * settled. The engine (drive, collect, rounds) is the same for all of them.
 */
export type LineCheck<V> = { ok: true; value: V; productId?: string | null } | { ok: false; error: string };

export interface SettleCounts {
  /** reviews settled with a result */
  done: number;
  /** reviews that used up an attempt without one */
  failed: number;
  /** reviews handed back to pending without an attempt counted (a cancel, a follow-up batch) */
  released: number;
}

export interface BatchHandler<V = unknown> {
  kind: BatchKind;
  /** the lane usage rows are recorded under */
  lane: LlmLane;
  /** the requests of these lines, in order: built at planning (to size the file) and again at upload, identically */
  requests(lines: Array<Pick<BatchLineRow, 'cls' | 'texts'>>): Promise<LlmRequest[]>;
  /** answers checked against the lines they name, in order: a value to store, or why the line is redone */
  check(row: BatchRow, answers: Array<{ line: BatchLineRow; content: string }>): Promise<Array<LineCheck<V>>>;
  /** store checked values; safe to run again after a crash (caches are keyed, review writes need the batch's claim) */
  store(row: BatchRow, values: Array<{ line: BatchLineRow; value: V }>): Promise<void>;
  /** after the answers: redo these lines in realtime through the gateway, or hand them to a follow-up batch */
  redoMode(): 'realtime' | 'batch';
  /** realtime redo of a page of lines (halves first, as a failed realtime batch splits); safe to run again */
  redo(row: BatchRow, lines: BatchLineRow[]): Promise<void>;
  /** the reviews the batch still holds, from what was stored; `release` hands the unanswered ones back uncounted */
  settle(row: BatchRow, o: { release: boolean }): Promise<SettleCounts>;
}
