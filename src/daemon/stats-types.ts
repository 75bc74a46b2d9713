import type { GatewayStats } from '../llm/types.js';
import type { LaneName, PoolName } from '../config/schema.js';
import type { AnalysisStats, ClassCounts, ClassifierStats } from '../context.js';
import type { ActiveLaneTask, LaneStats, PoolStats } from '../lanes/types.js';
import type { BufferView } from '../ingest/buffer-queue.js';

/** Reviews of one language and what translation does with them (sent: translated by the model or waiting to be). */
export interface LanguageMix {
  lang: string;
  reviews: number;
  skipped: number;
  converted: number;
  sent: number;
}

export interface Backlog {
  pendingTranslations: number;
  pendingAnalyses: number;
  /** every stored review by language (`und`: cannot be told), largest first; refreshed every ~30 s */
  languages: LanguageMix[];
  /** seconds to drain at the current rate; null when idle or unknown */
  etaSeconds: number | null;
  /** Batch API batches still with the provider or being collected (newest first), and what batches cost so far */
  batches?: { inFlight: BatchInFlight[]; cost: number };
}

export interface BatchInFlight {
  id: number;
  jobId: number | null;
  /** translate, insights or themes */
  kind: string;
  /** the provider's status, or the step voc is at before the provider has it */
  status: string;
  requests: number;
  completed: number;
  failed: number;
  ageSec: number;
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

/**
 * The stats object: what `voc status --json` prints, what the live stream sends, what the TUI draws.
 * Keys are documented in the README ("Status keys"); add, never rename.
 */
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
  /** the Redis ingest buffer: waiting, taken but not committed, dead letters (null without Redis) */
  ingestBuffer: BufferView | null;
}

// the counters and lane figures live with their owners; the stats contract names them all in one place
export type { ActiveLaneTask, AnalysisStats, ClassCounts, ClassifierStats, LaneStats, PoolStats };
export type { BufferView };
