import type { DaemonContext } from '../context.js';
import { claimTick } from '../store/beat.js';
import { hasOpenJob } from '../store/jobs.js';
import { drainIngestBuffer } from '../ingest/buffer.js';
import { errorMessage } from '../errors.js';
import type { JobManager } from './jobs.js';

/** A failing task (its store or Redis down) waits its interval, then twice that, up to this, between attempts. */
const BACKOFF_MAX_MS = 30_000;

/**
 * Once per interval across the cluster: a Redis SET NX PX lock when Redis is configured, else a conditional
 * UPDATE on beat_ticks. Each daemon checks a few times per interval so a tick is not skipped by timer drift.
 */
export async function claimBeat(ctx: DaemonContext, name: string, intervalMs: number): Promise<boolean> {
  if (ctx.redis) {
    const key = `${ctx.config.redis.keyPrefix}voc:beat:${name}`;
    return (await ctx.redis.set(key, ctx.daemonId, 'PX', intervalMs, 'NX')) === 'OK';
  }
  return claimTick(ctx.store, name, intervalMs, ctx.daemonId);
}

/** Start translation when reviews wait and no translate job is open (unless switched off in config). */
export async function checkPendingTranslations(ctx: DaemonContext, jobs: JobManager): Promise<boolean> {
  if (!jobs.kinds().includes('translate')) return false;
  const pending = await ctx.store.knex('reviews').select('id').where('tr_status', 'pending').first();
  if (!pending || (await hasOpenJob(ctx.store, 'translate'))) return false;
  const job = await jobs.submit({ kind: 'translate', params: {} }, 'beat');
  ctx.events.emit('log:line', { text: `beat: pending translations found, started translate job ${job.id}` });
  return true;
}

export interface BeatTask {
  name: string;
  intervalMs: number;
  run: () => Promise<unknown>;
}

export function beatTasks(ctx: DaemonContext, jobs: JobManager): BeatTask[] {
  const tasks: BeatTask[] = [];
  if (ctx.redis)
    tasks.push({ name: 'drain_ingest_buffer', intervalMs: ctx.config.beat.drainIngestBufferMs, run: () => drainIngestBuffer(ctx) });
  if (ctx.config.beat.checkPendingTranslations) {
    tasks.push({
      name: 'check_pending_translations',
      intervalMs: ctx.config.beat.checkPendingTranslationsMs,
      run: () => checkPendingTranslations(ctx, jobs),
    });
  }
  return tasks;
}

/**
 * Runs each task once per interval cluster-wide; `onTick` lets tests and the log see which daemon ran it. A task
 * that throws is retried by this daemon after a doubling pause, so an outage is not a storm of failed attempts.
 * `idle()` settles when no task is running (shutdown waits for it before giving held work back).
 */
export function startBeat(
  ctx: DaemonContext,
  tasks: BeatTask[],
  onTick?: (name: string) => void,
): { stop: () => void; idle: () => Promise<void> } {
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  for (const t of tasks) {
    let busy = false;
    let failures = 0;
    let retryAt = 0;
    const check = async () => {
      if (busy || ctx.signal.aborted || Date.now() < retryAt) return;
      busy = true;
      try {
        if (await claimBeat(ctx, t.name, t.intervalMs)) {
          onTick?.(t.name);
          ctx.log.debug('beat_tick', { task: t.name });
          await t.run();
        }
        failures = 0;
        retryAt = 0;
      } catch (err) {
        failures++;
        const wait = Math.min(BACKOFF_MAX_MS, t.intervalMs * 2 ** (failures - 1));
        retryAt = Date.now() + wait;
        ctx.log.warn('beat_failed', { task: t.name, error: errorMessage(err), failures, retryInMs: wait });
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(
      () => {
        const p = check();
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      },
      Math.max(50, Math.floor(t.intervalMs / 5)),
    );
    timer.unref();
    timers.push(timer);
  }
  return {
    stop: () => timers.forEach(clearInterval),
    idle: async () => {
      await Promise.allSettled([...inFlight]);
    },
  };
}
