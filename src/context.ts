import type { Redis } from 'ioredis';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import type { Store } from './store/db.js';
import type { JobView, SubmitJobRequest } from './store/jobs.js';
import type { Gateway } from './llm/types.js';
import type { SafeEmitter, VocEvents } from './events.js';
import type { LaneRunner } from './lanes/types.js';
import type { ReviewClass } from './domain.js';

export type ClassCounts = Record<ReviewClass, number>;

export interface ClassifierStats extends ClassCounts {
  /** counts of the current (latest) run */
  run: ClassCounts & { jobId: number | null };
  batches: ClassCounts;
  calls: number;
  reviewsPerCall: number;
  fallbacks: number;
  cacheHits: number;
  skipped: number;
  translated: number;
  failed: number;
}

export interface AnalysisStats {
  learned: number;
  insights: number;
  themes: number;
  reviewsAnalysed: number;
  insightsPerReview: number;
  unmappedTags: number;
  droppedQuotes: number;
  labelCacheHits: number;
  labelCacheMisses: number;
  labelCacheHitRate: number;
}

/** Counters the lanes add to and the stats stream reads. */
export interface Counters {
  classifier: ClassifierStats;
  analysis: AnalysisStats;
}

export function newCounters(): Counters {
  const zero = { vip: 0, standard: 0, short: 0 };
  return {
    classifier: {
      ...zero,
      run: { ...zero, jobId: null },
      batches: { ...zero },
      calls: 0,
      reviewsPerCall: 0,
      fallbacks: 0,
      cacheHits: 0,
      skipped: 0,
      translated: 0,
      failed: 0,
    },
    analysis: {
      learned: 0,
      insights: 0,
      themes: 0,
      reviewsAnalysed: 0,
      insightsPerReview: 0,
      unmappedTags: 0,
      droppedQuotes: 0,
      labelCacheHits: 0,
      labelCacheMisses: 0,
      labelCacheHitRate: 0,
    },
  };
}

/**
 * Leases a run holds beyond the heartbeat's own (the ingest buffer's hold in Redis, a product's learning claim, an
 * analysis run's insight and theme claims): the heartbeat (daemon/heartbeat.ts) renews each until it is let go.
 */
export interface Leases {
  /** keep renewing with `renew` until the returned function is called; a failed renewal is tried again next beat */
  keep(renew: () => Promise<unknown>): () => void;
}

/**
 * Everything a daemon's workers need, compiled once and passed explicitly (no module globals), so two daemons
 * can live in one test process.
 */
export interface DaemonContext {
  config: Config;
  log: Logger;
  store: Store;
  redis: Redis | null;
  daemonId: string;
  events: SafeEmitter<VocEvents>;
  gateway: Gateway;
  lanes: LaneRunner;
  counters: Counters;
  /**
   * Queue a job row through the daemon's one submit path (daemon/jobs.ts: kind check, lane, one open job per
   * backlog, the jobs:changed event), as POST /jobs does; `source` says who asked (cli, beat, auto).
   */
  submitJob(req: SubmitJobRequest, source: string): Promise<JobView>;
  leases: Leases;
  /** aborted when the daemon starts draining */
  signal: AbortSignal;
}
