import type { LaneStats, PoolStats, Stats } from '../daemon/stats-types.js';
import { LANES, POOLS, type LaneName, type PoolName } from '../config/schema.js';
import { newCounters } from '../context.js';
import type { Config } from '../config/schema.js';
import { idleGatewayStats } from '../daemon/gateway.js';

/** The settings the sample's gateway figures are read from: the embedded defaults against the local simulator. */
const SAMPLE_CONFIG = {
  llm: { qps: 25, currency: 'CNY', baseUrl: 'http://127.0.0.1:8787/v1', model: 'qwen-flash' },
  redis: { url: null },
} as unknown as Config;

const CAPS: Record<PoolName, number> = { base: 4, vip: 50, trans: 100, insight: 100, theme: 100 };
const OWN: Record<LaneName, PoolName> = {
  ingestion: 'base',
  reports: 'base',
  learning: 'vip',
  translation: 'trans',
  insight_extraction: 'insight',
  theme_extraction: 'theme',
};

/**
 * An idle daemon on the default caps, for `voc demo`'s first frame and for tests that change a few numbers.
 * Every field of the Stats object is present so a renderer never meets a hole.
 */
export function idleStats(now = Date.now()): Stats {
  const lane = (name: LaneName): LaneStats => ({
    queued: 0,
    active: 0,
    cap: CAPS[OWN[name]],
    done: 0,
    failed: 0,
    retried: 0,
    ratePerMin: 0,
    meanMs: 0,
    p95Ms: 0,
    paused: false,
  });
  const pool = (name: PoolName): PoolStats => ({ active: 0, cap: CAPS[name], queued: 0, serving: [], peak: 0 });
  return {
    daemon: {
      id: 'd-1a2b3c',
      pid: 4242,
      host: 'localhost',
      version: '0.1.0',
      startedAt: now - 65_000,
      uptimeSec: 65,
      store: 'sqlite ~/.voc/voc.db',
      redis: null,
    },
    lanes: Object.fromEntries(LANES.map((l) => [l, lane(l)])) as Record<LaneName, LaneStats>,
    pools: Object.fromEntries(POOLS.map((p) => [p, pool(p)])) as Record<PoolName, PoolStats>,
    // the daemon's own idle figures: the sample shows exactly what a new daemon on the embedded defaults reports
    gateway: { ...idleGatewayStats(SAMPLE_CONFIG, true), qps: 0 },
    // the daemon's own fresh counters: the screen's idle frame shows exactly what a new daemon reports
    ...newCounters(),
    backlog: { pendingTranslations: 0, pendingAnalyses: 0, languages: [], etaSeconds: null },
    events: [],
    cluster: null,
    ingestBuffer: null,
  };
}
