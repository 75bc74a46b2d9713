import type { DaemonContext } from '../context.js';
import type { NewReview } from '../store/reviews.js';
import { claimTick } from '../store/beat.js';
import { hasOpenJob } from '../store/jobs.js';
import { toReview } from '../ingest/validate.js';
import { ingestChunk } from '../ingest/commit.js';
import { errorMessage } from '../errors.js';
import type { JobManager } from './jobs.js';

const DRAIN_BATCH = 500;

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

/**
 * The ingest buffer: other producers (a browser plugin, a scraper) RPUSH one JSON review object per element to
 * beat.ingestBufferKey, with the same fields a CSV/JSON file may carry. Bad elements are logged and dropped.
 */
export async function drainIngestBuffer(ctx: DaemonContext): Promise<{ inserted: number; rejected: number }> {
  const out = { inserted: 0, rejected: 0 };
  if (!ctx.redis) return out;
  const key = ctx.config.redis.keyPrefix + ctx.config.beat.ingestBufferKey;
  const file = `redis:${ctx.config.beat.ingestBufferKey}`;
  for (let round = 0; round < 100 && !ctx.signal.aborted; round++) {
    const items = (await ctx.redis.lpop(key, DRAIN_BATCH)) ?? [];
    if (!items.length) break;
    const rows: NewReview[] = [];
    items.forEach((raw, i) => {
      let rec: unknown;
      try {
        rec = JSON.parse(raw);
      } catch {
        out.rejected++;
        ctx.log.warn('ingest_buffer_rejected', { reason: 'not JSON', sample: raw.slice(0, 80) });
        return;
      }
      if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
        out.rejected++;
        ctx.log.warn('ingest_buffer_rejected', { reason: 'not a JSON object' });
        return;
      }
      const r = toReview(rec as Record<string, unknown>, { config: ctx.config, file, line: i + 1 });
      if (r.ok) rows.push(r.review);
      else {
        out.rejected++;
        ctx.log.warn('ingest_buffer_rejected', { field: r.field, reason: r.reason });
      }
    });
    if (rows.length) out.inserted += (await ingestChunk(ctx, { file, rows })).inserted;
    if (items.length < DRAIN_BATCH) break;
  }
  if (out.inserted || out.rejected) ctx.events.emit('log:line', { text: `ingest buffer: ${out.inserted} stored, ${out.rejected} rejected` });
  return out;
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
  if (ctx.redis) tasks.push({ name: 'drain_ingest_buffer', intervalMs: ctx.config.beat.drainIngestBufferMs, run: () => drainIngestBuffer(ctx) });
  if (ctx.config.beat.checkPendingTranslations) {
    tasks.push({ name: 'check_pending_translations', intervalMs: ctx.config.beat.checkPendingTranslationsMs, run: () => checkPendingTranslations(ctx, jobs) });
  }
  return tasks;
}

/** Runs each task once per interval cluster-wide; `onTick` lets tests and the log see which daemon ran it. */
export function startBeat(ctx: DaemonContext, tasks: BeatTask[], onTick?: (name: string) => void): { stop: () => void } {
  const timers: NodeJS.Timeout[] = [];
  for (const t of tasks) {
    let busy = false;
    const check = async () => {
      if (busy || ctx.signal.aborted) return;
      busy = true;
      try {
        if (await claimBeat(ctx, t.name, t.intervalMs)) {
          onTick?.(t.name);
          ctx.log.debug('beat_tick', { task: t.name });
          await t.run();
        }
      } catch (err) {
        ctx.log.warn('beat_failed', { task: t.name, error: errorMessage(err) });
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void check(), Math.max(50, Math.floor(t.intervalMs / 5)));
    timer.unref();
    timers.push(timer);
  }
  return { stop: () => timers.forEach(clearInterval) };
}
