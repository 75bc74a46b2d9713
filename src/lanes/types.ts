import type { LaneName, PoolName } from '../config/schema.js';

/**
 * A unit of work on a lane: a translation batch, a learn call, an insight batch (a stored job row is split into
 * many). `run` gets the pool that took it (learning may run in insight/theme).
 */
export interface LaneTask<T = unknown> {
  lane: LaneName;
  /** short label for `voc jobs`, e.g. "translate short batch x20 (job 7)" */
  label: string;
  productId?: string | null;
  jobId?: number | null;
  run(info: { pool: PoolName; signal: AbortSignal }): Promise<T>;
}

/** Submits work to the lanes; each pool runs it under its cap. */
export interface LaneRunner {
  submit<T>(task: LaneTask<T>): Promise<T>;
  /** tasks waiting on the lane (not yet started) */
  queued(lane: LaneName): number;
  /** tasks running on the lane */
  active(lane: LaneName): number;
  isPaused(lane: LaneName): boolean;
}

export interface LaneStats {
  queued: number;
  active: number;
  /** the cap of the lane's own (first) pool */
  cap: number;
  done: number;
  failed: number;
  retried: number;
  /** tasks finished per minute over the last minute */
  ratePerMin: number;
  meanMs: number;
  p95Ms: number;
  paused: boolean;
}

export interface PoolStats {
  active: number;
  cap: number;
  queued: number;
  /** lanes with a task running in this pool right now (learning here means overflow) */
  serving: LaneName[];
  /** highest number of tasks ever in flight at once (instrumented cap check) */
  peak: number;
}

export interface ActiveLaneTask {
  lane: LaneName;
  pool: string;
  label: string;
  state: 'queued' | 'active';
  sinceMs: number;
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
  /** aborted when the job is cancelled (`voc jobs cancel`): stop taking new work, let what is in flight finish */
  signal?: AbortSignal;
}

export interface Service {
  name: string;
  kinds: Record<string, 'shared' | 'exclusive'>;
  /** run one job to the end; `progress` stores a snapshot in the job row (throttled by the caller) */
  runJob(job: ServiceJob, progress: (snapshot: Record<string, unknown>) => void): Promise<Record<string, unknown>>;
  /** stop claiming new work and give back claims (SIGTERM); must be idempotent */
  stop?(): Promise<void>;
}
