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
  /** a chunk was committed (new products are learned automatically) */
  'reviews:ingested': { inserted: number; productIds: string[]; newProducts: string[] };
  /** a job row was created or changed state; services waiting for work re-check */
  'jobs:changed': { id: number; kind: string; status: string };
}

/**
 * A service runs the job rows of some kinds (translate, analyze, learn, report, bullets). The daemon's job
 * manager claims rows and calls runJob; `shared` kinds run on every daemon of a cluster at once (review-level
 * claims keep the work exactly-once), exclusive kinds run on the one daemon that claimed the row.
 */
export interface ServiceJob {
  id: number;
  kind: string;
  productId: string | null;
  params: Record<string, unknown>;
}

export interface Service {
  name: string;
  kinds: Record<string, 'shared' | 'exclusive'>;
  /** run one job to the end; `progress` stores a snapshot in the job row (throttled by the caller) */
  runJob(job: ServiceJob, progress: (snapshot: Record<string, unknown>) => void): Promise<Record<string, unknown>>;
  /** stop claiming new work and give back claims (SIGTERM); must be idempotent */
  stop?(): Promise<void>;
}
