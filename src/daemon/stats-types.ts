import type { GatewayStats } from '../llm/types.js';
import type { LaneName, PoolName } from '../config/schema.js';

/**
 * The stats object: what `voc status --json` prints, what the live stream sends, what the TUI draws.
 * Keys are documented in the README ("Status keys"); add, never rename.
 */
export interface LaneStats {
  queued: number;
  active: number;
  /** the cap of the lane's own (first) pool */
  cap: number;
  done: number;
  failed: number;
  retried: number;
  /** jobs finished per minute over the last minute */
  ratePerMin: number;
  meanMs: number;
  p95Ms: number;
  paused: boolean;
}

export interface PoolStats {
  active: number;
  cap: number;
  queued: number;
  /** lanes with a job running in this pool right now (learning here means overflow) */
  serving: LaneName[];
  /** highest number of jobs ever in flight at once (instrumented cap check) */
  peak: number;
}

export interface ClassCounts {
  vip: number;
  standard: number;
  short: number;
}

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

export interface Backlog {
  pendingTranslations: number;
  pendingAnalyses: number;
  /** seconds to drain at the current rate; null when idle or unknown */
  etaSeconds: number | null;
}

export interface DaemonRow {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
  alive: boolean;
  active: number;
  gatewayWindow: number;
}

export interface StatsEvent {
  ts: number;
  text: string;
}

export interface Stats {
  daemon: {
    id: string;
    pid: number;
    host: string;
    version: string;
    startedAt: number;
    uptimeSec: number;
    store: string;
    redis: string | null;
  };
  lanes: Record<LaneName, LaneStats>;
  pools: Record<PoolName, PoolStats>;
  gateway: GatewayStats & { qps: number };
  classifier: ClassifierStats;
  analysis: AnalysisStats;
  backlog: Backlog;
  events: StatsEvent[];
  cluster: { daemons: DaemonRow[]; totals: { active: number; done: number; failed: number } } | null;
}
