import type { Stats } from './stats-types.js';
import type { InsertResult, NewReview, ProductMeta } from '../store/reviews.js';
import type { JobKind, JobStatus, JobView, SubmitJobRequest } from '../store/jobs.js';
import type { IngestChunkRequest } from '../ingest/commit.js';
import type { ActiveLaneTask } from '../lanes/types.js';
import type { LaneName } from '../config/schema.js';
import type { HealthChecks } from './health.js';
import type { BufferView } from '../ingest/buffer-queue.js';

/**
 * The daemon's HTTP API over the unix socket ($VOC_HOME/voc.sock). JSON in, JSON out; errors are
 * `{ "error": { "code": "...", "message": "..." } }` with a 4xx/5xx status.
 *
 *   GET  /health                 -> Health (with checks: store, Redis, provider; always 200 while it answers)
 *   GET  /stats                  -> Stats
 *   GET  /stats/stream           -> NDJSON, one Stats per line every daemon.statsIntervalMs
 *   POST /ingest                 IngestChunkRequest, rows as objects or compact arrays with `fields` (ingest/wire.ts)
 *                                -> InsertResult (after the chunk's transaction committed)
 *   POST /jobs                   SubmitJobRequest -> JobView
 *   GET  /jobs                   -> JobsView (queued and active jobs by lane and pool, recent job rows)
 *   GET  /jobs/:id               -> JobView
 *   GET  /jobs/:id/stream        -> NDJSON of JobView until the job is finished
 *   POST /jobs/:id/cancel        -> JobView (queued: cancelled now; running: asked to wind down); 404 NO_JOB, 409 JOB_FINISHED
 *   POST /lanes/:lane/pause      -> { lane, paused: true }
 *   POST /lanes/:lane/resume     -> { lane, paused: false }
 *   POST /shutdown               -> { stopping: true }
 */
/** Statuses a job never leaves: a follower stops at them (the CLI reads this without loading the store). */
export const isFinished = (status: string): boolean => status === 'done' || status === 'failed' || status === 'cancelled';

export interface Health {
  id: string;
  pid: number;
  version: string;
  startedAt: number;
  home: string;
  simulated: boolean;
  /** store, Redis and provider; always there over the socket (optional for clients of older daemons) */
  checks?: HealthChecks;
}

export interface JobsView {
  active: ActiveLaneTask[];
  queued: ActiveLaneTask[];
  /** pools and the lanes they listen on, in priority order (celery inspect active_queues) */
  pools: Record<string, { cap: number; lanes: LaneName[] }>;
  jobs: JobView[];
  /** the Redis ingest buffer and its latest dead letters (null without Redis) */
  ingestBuffer: BufferView | null;
}

export type {
  ActiveLaneTask,
  IngestChunkRequest,
  InsertResult,
  JobKind,
  JobStatus,
  JobView,
  NewReview,
  ProductMeta,
  Stats,
  SubmitJobRequest,
};

/** The CLI's view of the daemon (src/daemon/client.ts implements it; `connectDaemon` starts one if needed). */
export interface DaemonClient {
  health(): Promise<Health>;
  stats(): Promise<Stats>;
  /** calls onStats for every frame until the signal aborts or the daemon goes away */
  streamStats(onStats: (s: Stats) => void, signal: AbortSignal): Promise<void>;
  ingest(chunk: IngestChunkRequest): Promise<InsertResult>;
  submitJob(req: SubmitJobRequest): Promise<JobView>;
  getJob(id: number): Promise<JobView>;
  /** calls onUpdate with each snapshot until the job is done, failed or cancelled; resolves with the final view */
  followJob(id: number, onUpdate: (job: JobView) => void, signal?: AbortSignal): Promise<JobView>;
  /** `voc jobs cancel`: the job as it is right after the request (cancelled, or running with cancelRequestedAt set) */
  cancelJob(id: number): Promise<JobView>;
  jobs(): Promise<JobsView>;
  pause(lane: LaneName): Promise<{ lane: LaneName; paused: boolean }>;
  resume(lane: LaneName): Promise<{ lane: LaneName; paused: boolean }>;
  shutdown(): Promise<void>;
}
