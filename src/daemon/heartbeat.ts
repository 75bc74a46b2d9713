import { hostname } from 'node:os';
import type { DaemonContext } from '../context.js';
import type { Lanes } from '../lanes/runner.js';
import { LANES } from '../config/schema.js';
import { renewLeases } from '../store/claims.js';
import { renewJobLeases } from '../store/jobs.js';
import { upsertDaemon } from '../store/daemons.js';
import { pausedLanes } from '../store/lane-state.js';
import { errorMessage } from '../errors.js';

/**
 * Every daemon.heartbeatMs: upsert this daemon's row (the cluster view), renew the leases of the jobs it runs,
 * and pick up lane switches made by other daemons on the same database.
 */
export function startHeartbeat(
  ctx: DaemonContext,
  lanes: Lanes,
  o: { startedAt: number; version: string; home: string; snapshot: () => Record<string, unknown>; running: () => number[] },
): { beat: () => Promise<void>; stop: () => void } {
  let running: Promise<void> | null = null;
  const beat = async () => {
    const { store, daemonId: id, config } = ctx;
    await upsertDaemon(store, {
      id,
      host: hostname(),
      pid: process.pid,
      home: o.home,
      version: o.version,
      started_at: o.startedAt,
      stats: JSON.stringify(o.snapshot()),
    });
    // only what runs here now: work a run could not hand back (its store was down) must expire, not live on.
    // Translation claims only: analysis runs renew their own kinds (analyze.ts), and finding this daemon's ins/thm
    // claims has no index to go by, so each beat read every row of a million-review table twice
    const running = o.running();
    await renewLeases(store, 'tr', id, config.daemon.leaseMs, running);
    await renewJobLeases(store, id, config.daemon.leaseMs, running);
    const paused = new Set(await pausedLanes(store));
    for (const lane of LANES) if (paused.has(lane) !== lanes.isPaused(lane)) lanes.setPaused(lane, paused.has(lane));
  };
  const timer = setInterval(() => {
    if (running) return;
    running = beat()
      .catch((err) => ctx.log.warn('heartbeat_failed', { error: errorMessage(err) }))
      .finally(() => (running = null));
  }, ctx.config.daemon.heartbeatMs);
  timer.unref();
  return { beat, stop: () => clearInterval(timer) };
}
