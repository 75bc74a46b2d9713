import { hostname } from 'node:os';
import type { DaemonContext, Leases } from '../context.js';
import type { Lanes } from '../lanes/runner.js';
import { LANES } from '../config/schema.js';
import { renewLeases } from '../store/claims.js';
import { renewJobLeases } from '../store/jobs.js';
import { upsertDaemon } from '../store/daemons.js';
import { pausedLanes } from '../store/lane-state.js';
import { errorMessage } from '../errors.js';

interface Held {
  renew: () => Promise<unknown>;
  /** when it was last renewed (or taken) */
  at: number;
  busy: boolean;
}

/**
 * The leases runs hold (DaemonContext.leases), renewed by the heartbeat: each on the last beat before a third of it
 * has passed since its last renewal (on every beat when beats are further apart than that), so a lease is renewed
 * at least every max(leaseMs / 3, heartbeatMs). Each renews on its own, one renewal at a time: a lease in Redis
 * is renewed while the store hangs, and a lease whose server is slow does not hold up the others.
 */
export function createLeases(o: { leaseMs: number; beatMs: number }): Leases & { renewDue(now?: number): void } {
  const held = new Set<Held>();
  return {
    keep(renew) {
      const h: Held = { renew, at: Date.now(), busy: false };
      held.add(h);
      return () => void held.delete(h);
    },
    renewDue(now = Date.now()) {
      for (const h of held) {
        if (h.busy || now - h.at + o.beatMs <= o.leaseMs / 3) continue;
        h.busy = true;
        h.renew().then(
          () => {
            h.at = now;
            h.busy = false;
          },
          // not renewed (its server is down): tried again at the next beat, while the lease may still hold
          () => (h.busy = false),
        );
      }
    },
  };
}

/**
 * Every daemon.heartbeatMs: upsert this daemon's row (the cluster view), renew the leases of the jobs it runs and
 * of their translation claims, and pick up lane switches made by other daemons on the same database. The leases runs
 * hold (`leases`) are renewed on the same beat, without waiting for the store work.
 */
export function startHeartbeat(
  ctx: DaemonContext,
  lanes: Lanes,
  o: {
    startedAt: number;
    version: string;
    home: string;
    snapshot: () => Record<string, unknown>;
    running: () => number[];
    leases: ReturnType<typeof createLeases>;
  },
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
    // Translation claims only: an analysis run keeps its own kinds in `leases` while it runs (analyze.ts), as finding
    // this daemon's ins/thm claims has no index to go by, so each beat read every row of a million-review table twice
    const running = o.running();
    await renewLeases(store, 'tr', id, config.daemon.leaseMs, running);
    await renewJobLeases(store, id, config.daemon.leaseMs, running);
    const paused = new Set(await pausedLanes(store));
    for (const lane of LANES) if (paused.has(lane) !== lanes.isPaused(lane)) lanes.setPaused(lane, paused.has(lane));
  };
  const timer = setInterval(() => {
    o.leases.renewDue();
    if (running) return;
    running = beat()
      .catch((err) => ctx.log.warn('heartbeat_failed', { error: errorMessage(err) }))
      .finally(() => (running = null));
  }, ctx.config.daemon.heartbeatMs);
  timer.unref();
  return { beat, stop: () => clearInterval(timer) };
}
