import type { Redis } from 'ioredis';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import type { Store } from './store/db.js';
import type { Gateway } from './llm/types.js';
import type { SafeEmitter } from './events.js';
import type { LaneJob, VocEvents } from './lanes/types.js';
import type { LaneName } from './config/schema.js';
import type { AnalysisStats, ClassifierStats } from './daemon/stats-types.js';

/** Submits work to the lanes; each pool runs it under its cap. */
export interface LaneRunner {
  submit<T>(job: LaneJob<T>): Promise<T>;
  /** jobs waiting on the lane (not yet started) */
  queued(lane: LaneName): number;
  /** jobs running on the lane */
  active(lane: LaneName): number;
  isPaused(lane: LaneName): boolean;
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
  /** aborted when the daemon starts draining */
  signal: AbortSignal;
}
