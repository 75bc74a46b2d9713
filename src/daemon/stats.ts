import { hostname } from 'node:os';
import type { DaemonContext } from '../context.js';
import type { Lanes } from '../lanes/runner.js';
import type { Backlog, DaemonRow, LanguageMix, Stats, StatsEvent } from './stats-types.js';
import { listDaemons } from '../store/daemons.js';
import { bufferKeys, bufferView } from '../ingest/buffer-queue.js';
import { batchesInFlight } from '../store/batches.js';
import { redactUrl } from '../config/redact.js';
import { errorMessage } from '../errors.js';

const EVENTS_KEPT = 20;
const SLOW_CACHE_MS = 2000;
/** the language mix scans every review: often enough to follow an ingest, rarely enough to cost nothing */
const LANGUAGES_CACHE_MS = 30_000;

export interface StatsBuilder {
  /** `fresh`: a one-off look (`voc status --once`, the demo's last frame) waits for the store's figures of now */
  build(o?: { fresh?: boolean }): Promise<Stats>;
  /** the small snapshot stored in the daemons row on each heartbeat */
  snapshot(): Record<string, unknown>;
  close(): void;
}

/**
 * Builds the Stats object. In-memory parts are read fresh each frame; the database parts (backlog, cluster) are
 * cached for ~2 s so a stream of frames is not a query per frame.
 */
export function createStatsBuilder(ctx: DaemonContext, lanes: Lanes, o: { startedAt: number; version: string }): StatsBuilder {
  const events: StatsEvent[] = [];
  const push = (text: string) => {
    events.push({ ts: Date.now(), text });
    if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
  };
  const offs = [
    ctx.events.on('log:line', (e) => push(e.text)),
    ctx.events.on('task:failed', (e) => push(`${e.lane} task failed in ${e.pool}: ${e.label}${e.error ? ` (${e.error})` : ''}`)),
  ];
  let slow: { at: number; backlog: Omit<Backlog, 'etaSeconds'>; cluster: Stats['cluster']; ingestBuffer: Stats['ingestBuffer'] } | null =
    null;
  let slowPending: Promise<void> | null = null;
  const samples: Array<{ at: number; pending: number }> = [];
  let languages: { at: number; mix: LanguageMix[] } | null = null;

  async function languageMix(): Promise<LanguageMix[]> {
    if (languages && Date.now() - languages.at < LANGUAGES_CACHE_MS) return languages.mix;
    const k = ctx.store.knex;
    const rows: Array<{ lang: string | null; outcome: string; n: unknown }> = await k('reviews')
      .select({
        lang: 'language',
        outcome: k.raw(
          `case when tr_status = 'skipped' then 'skipped' when tr_status = 'done' and tr_source = 'opencc' then 'converted' else 'sent' end`,
        ),
        n: k.raw('count(*)'),
      })
      .groupByRaw('1, 2');
    const by = new Map<string, LanguageMix>();
    for (const r of rows) {
      const lang = r.lang || 'und';
      const m = by.get(lang) ?? { lang, reviews: 0, skipped: 0, converted: 0, sent: 0 };
      const n = Number(r.n);
      m.reviews += n;
      m[r.outcome as 'skipped' | 'converted' | 'sent'] += n;
      by.set(lang, m);
    }
    const mix = [...by.values()].sort((a, b) => b.reviews - a.reviews || (a.lang < b.lang ? -1 : 1));
    languages = { at: Date.now(), mix };
    return mix;
  }

  async function refreshSlow(): Promise<void> {
    const k = ctx.store.knex;
    const tr = await k('reviews').whereIn('tr_status', ['pending', 'in_progress']).count<{ n: number }[]>({ n: '*' }).first();
    const analyzing = await k('jobs').select('product_id', 'params').where('kind', 'analyze').whereIn('status', ['queued', 'running']);
    let pendingAnalyses = 0;
    if (analyzing.length) {
      const all = analyzing.some(
        (j: { product_id: string | null; params: string | null }) => !j.product_id || /"all"\s*:\s*true/.test(j.params ?? ''),
      );
      const q = k('reviews').where((w) =>
        w.whereIn('ins_status', ['pending', 'in_progress']).orWhereIn('thm_status', ['pending', 'in_progress']),
      );
      if (!all)
        q.whereIn(
          'product_id',
          analyzing.map((j: { product_id: string }) => j.product_id),
        );
      const row = await q.count<{ n: number }[]>({ n: '*' }).first();
      pendingAnalyses = Number(row?.n ?? 0);
    }
    const inFlight = (await batchesInFlight(ctx.store)).map((b) => ({
      id: Number(b.id),
      jobId: b.job_id == null ? null : Number(b.job_id),
      kind: b.kind,
      status: b.provider_status ?? b.state,
      requests: Number(b.requests),
      completed: Number(b.completed),
      failed: Number(b.failed),
      ageSec: Math.round((Date.now() - Number(b.created_at)) / 1000),
    }));
    const spent = await k('llm_usage').where('batch', true).sum({ cost: 'cost' }).first();
    const backlog = {
      pendingTranslations: Number(tr?.n ?? 0),
      pendingAnalyses,
      languages: await languageMix(),
      batches: { inFlight, cost: Math.round(Number(spent?.cost ?? 0) * 1e6) / 1e6 },
    };
    const at = Date.now();
    samples.push({ at, pending: backlog.pendingTranslations + backlog.pendingAnalyses });
    while (samples.length && samples[0].at < at - 60_000) samples.shift();
    slow = { at, backlog, cluster: ctx.store.dialect === 'pg' ? await cluster() : null, ingestBuffer: await ingestBuffer() };
  }

  async function ingestBuffer(): Promise<Stats['ingestBuffer']> {
    if (!ctx.redis) return null;
    try {
      return await bufferView(ctx.redis, bufferKeys(ctx.config.redis.keyPrefix, ctx.config.beat.ingestBufferKey));
    } catch (err) {
      // Redis down: the last figures stay on screen rather than the whole frame failing
      ctx.log.warn('stats_buffer_failed', { error: errorMessage(err) });
      return slow?.ingestBuffer ?? null;
    }
  }

  async function cluster(): Promise<Stats['cluster']> {
    const rows = await listDaemons(ctx.store);
    const t = Date.now();
    const daemons: DaemonRow[] = rows.map((r) => {
      let s: Record<string, number> = {};
      try {
        s = r.stats ? JSON.parse(r.stats) : {};
      } catch {
        // an unreadable snapshot shows as zeros
      }
      return {
        id: r.id,
        host: r.host,
        pid: Number(r.pid),
        startedAt: Number(r.started_at),
        heartbeatAt: Number(r.heartbeat_at),
        alive: r.stopped_at == null && Number(r.heartbeat_at) >= t - 3 * ctx.config.daemon.heartbeatMs,
        active: Number(s.active ?? 0),
        gatewayWindow: Number(s.gatewayWindow ?? 0),
        done: Number(s.done ?? 0),
        failed: Number(s.failed ?? 0),
      } as DaemonRow & { done: number; failed: number };
    });
    const alive = daemons.filter((d) => d.alive) as Array<DaemonRow & { done: number; failed: number }>;
    const totals = {
      active: alive.reduce((n, d) => n + d.active, 0),
      done: alive.reduce((n, d) => n + d.done, 0),
      failed: alive.reduce((n, d) => n + d.failed, 0),
    };
    return { daemons: daemons.map(({ done: _d, failed: _f, ...rest }: DaemonRow & { done?: number; failed?: number }) => rest), totals };
  }

  const eta = (pending: number) => drainEta(samples, pending);

  async function build(want: { fresh?: boolean } = {}): Promise<Stats> {
    const age = slow ? Date.now() - slow.at : Infinity;
    if (want.fresh || age > SLOW_CACHE_MS) {
      // a refresh under way may have read before the request: a fresh look waits for one that starts after it
      if (want.fresh && slowPending) await slowPending;
      slowPending ??= refreshSlow()
        .catch((err) => ctx.log.warn('stats_query_failed', { error: errorMessage(err) }))
        .finally(() => (slowPending = null));
      // a stream refreshes in the background; a one-off request (or any after a quiet spell) waits for the figures
      if (want.fresh || age > 3 * SLOW_CACHE_MS) await slowPending;
    }
    const g = ctx.gateway.stats();
    const backlog = slow?.backlog ?? { pendingTranslations: 0, pendingAnalyses: 0, languages: [] };
    return {
      daemon: {
        id: ctx.daemonId,
        pid: process.pid,
        host: hostname(),
        version: o.version,
        startedAt: o.startedAt,
        uptimeSec: Math.round((Date.now() - o.startedAt) / 1000),
        store: ctx.store.where,
        redis: ctx.config.redis.url ? redactUrl(ctx.config.redis.url) : null,
      },
      lanes: lanes.laneStats(),
      pools: lanes.poolStats(),
      gateway: { ...g, qps: g.window },
      classifier: ctx.counters.classifier,
      analysis: ctx.counters.analysis,
      backlog: { ...backlog, etaSeconds: eta(backlog.pendingTranslations + backlog.pendingAnalyses) },
      events: [...events],
      cluster: slow?.cluster ?? null,
      ingestBuffer: slow?.ingestBuffer ?? null,
    };
  }

  function snapshot(): Record<string, unknown> {
    const ls = lanes.laneStats();
    const sum = (k: 'done' | 'failed') => Object.values(ls).reduce((n, l) => n + l[k], 0);
    return {
      active: lanes.inFlight(),
      done: sum('done'),
      failed: sum('failed'),
      gatewayWindow: ctx.gateway.stats().window,
      paused: lanes.pausedLanes(),
    };
  }

  return { build, snapshot, close: () => offs.forEach((off) => off()) };
}

/**
 * Seconds to drain `pending` at the rate the backlog fell since it last grew (an ingest adds work; measuring
 * across it would hide the drain rate). Null while idle or before a second sample of a falling backlog.
 */
export function drainEta(samples: Array<{ at: number; pending: number }>, pending: number): number | null {
  if (pending === 0 || samples.length < 2) return null;
  let start = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i].pending > samples[i - 1].pending) start = i;
  if (start >= samples.length - 1) return null;
  const a = samples[start];
  const b = samples[samples.length - 1];
  const perSec = (a.pending - b.pending) / Math.max(1, (b.at - a.at) / 1000);
  return perSec > 0 ? Math.round(pending / perSec) : null;
}
