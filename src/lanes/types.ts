import type { Config, LaneName, PoolName } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/db.js';
import type { Gateway } from '../llm/types.js';

/** A unit of work on a lane. `run` gets the pool that took it (learning may run in insight/theme). */
export interface LaneJob<T = unknown> {
  lane: LaneName;
  /** short label for `voc jobs`, e.g. "translate short batch x20 (job 7)" */
  label: string;
  productId?: string | null;
  jobId?: number | null;
  run(info: { pool: PoolName; signal: AbortSignal }): Promise<T>;
}

export interface JobEvent {
  lane: LaneName;
  pool: PoolName;
  label: string;
  ms?: number;
  error?: string;
}

/** Events emitted per job and per LLM call; a listener that throws never breaks a worker. */
export interface VocEvents {
  'job:start': JobEvent;
  'job:done': JobEvent;
  'job:failed': JobEvent;
  'job:retried': JobEvent;
  'llm:call': { lane: string; ms: number; items: number; status: number };
  'llm:429': { lane: string; rate: number };
  /** a human line for the status screen's event list, in the seed's words */
  'log:line': { text: string };
}
