import { LRUCache } from 'lru-cache';
import type { DaemonContext } from '../context.js';
import type { InsertResult } from '../store/reviews.js';
import type { Lanes } from '../lanes/runner.js';
import { isLane } from '../lanes/pools.js';
import { ingestChunk } from '../ingest/commit.js';
import { fromWireRows, WIRE_FIELDS, type WireRow } from '../ingest/wire.js';
import { setLanePaused } from '../store/lane-state.js';
import { recentJobs, toJobView } from '../store/jobs.js';
import { bufferKeys, bufferView } from '../ingest/buffer-queue.js';
import {
  isFinished,
  type Health,
  type IngestChunkRequest,
  type NewReview,
  type JobView,
  type JobsView,
  type SubmitJobRequest,
} from './api.js';
import { HttpError, streamNdjson, type Route } from './server.js';
import { jobView, type JobManager } from './jobs.js';
import type { StatsBuilder } from './stats.js';

export interface RouteDeps {
  ctx: DaemonContext;
  lanes: Lanes;
  jobs: JobManager;
  stats: StatsBuilder;
  /** identity and the checks of store, Redis and provider */
  health: () => Promise<Health>;
  shutdown: () => void;
}

const CLASSES = new Set(['vip', 'standard', 'short']);
/** a field name from the socket becomes a property name: only the row's own fields (never `__proto__`) */
const KNOWN_FIELDS = new Set<string>(WIRE_FIELDS);

/**
 * Rows come from our own CLI, but the socket is an API: check the shape before it reaches SQL. Rows are objects,
 * or arrays in the order `fields` names (the CLI's compact form, src/ingest/wire.ts).
 */
function checkChunk(body: unknown): IngestChunkRequest {
  const b = body as Partial<IngestChunkRequest> & { fields?: unknown };
  if (!b || typeof b !== 'object' || !Array.isArray(b.rows)) throw new HttpError(400, 'BAD_CHUNK', 'expected { file, rows: [...] }');
  if (b.fields !== undefined) {
    if (!Array.isArray(b.fields) || !b.fields.every((f) => typeof f === 'string' && KNOWN_FIELDS.has(f)))
      throw new HttpError(400, 'BAD_CHUNK', `fields must be an array of field names among ${WIRE_FIELDS.join(', ')}`);
    b.rows = fromWireRows(b.fields as string[], b.rows as unknown as WireRow[]) as unknown as NewReview[];
  }
  b.rows.forEach((r, i) => {
    const ok =
      r &&
      typeof r === 'object' &&
      typeof r.sourceKey === 'string' &&
      typeof r.productId === 'string' &&
      typeof r.body === 'string' &&
      typeof r.bodyHash === 'string' &&
      Number.isFinite(r.rating) &&
      Number.isFinite(r.bodyLen) &&
      CLASSES.has(r.class);
    if (!ok)
      throw new HttpError(
        400,
        'BAD_ROW',
        `row ${i} is not a validated review (sourceKey, productId, rating, body, bodyHash, class, bodyLen)`,
      );
  });
  if (b.products != null && !Array.isArray(b.products)) throw new HttpError(400, 'BAD_CHUNK', 'products must be an array');
  const chunkId = typeof b.chunkId === 'string' && b.chunkId.length <= 200 ? b.chunkId : undefined;
  return { chunkId, file: typeof b.file === 'string' ? b.file : null, rows: b.rows, products: b.products ?? undefined };
}

function laneParam(name: string) {
  if (!isLane(name)) throw new HttpError(400, 'UNKNOWN_LANE', `no lane ${name}`);
  return name;
}

function jobId(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new HttpError(400, 'BAD_ID', `not a job id: ${s}`);
  return n;
}

/** Chunks recently answered (or in progress), by id: enough for every chunk a client can have in flight or retry. */
const REMEMBERED_CHUNKS = 1024;

export function daemonRoutes(d: RouteDeps): Route[] {
  const { ctx, lanes, jobs, stats } = d;
  const chunks = new LRUCache<string, Promise<InsertResult>>({ max: REMEMBERED_CHUNKS });
  // a chunk sent again after its connection broke gets the first answer: its rows are not counted as duplicates
  const ingestOnce = (req: IngestChunkRequest): Promise<InsertResult> => {
    const id = req.chunkId;
    if (!id) return ingestChunk(ctx, req);
    let result = chunks.get(id);
    if (!result) {
      result = ingestChunk(ctx, req);
      chunks.set(id, result);
      result.catch(() => chunks.delete(id)); // a failed chunk runs again when it is retried
    }
    return result;
  };
  const interval = ctx.config.daemon.statsIntervalMs;
  const pause = async (lane: string, paused: boolean) => {
    const l = laneParam(lane);
    await setLanePaused(ctx.store, l, paused);
    lanes.setPaused(l, paused);
    ctx.log.info(paused ? 'lane_paused' : 'lane_resumed', { lane: l });
    ctx.events.emit('log:line', { text: `lane ${l} ${paused ? 'paused' : 'resumed'}` });
    return { lane: l, paused };
  };
  return [
    { method: 'GET', path: '/health', handler: () => d.health() },
    { method: 'GET', path: '/stats', handler: () => stats.build({ fresh: true }) },
    { method: 'GET', path: '/stats/stream', handler: (r) => streamNdjson(r, interval, () => stats.build()) },
    { method: 'POST', path: '/ingest', handler: (r) => ingestOnce(checkChunk(r.body)) },
    { method: 'POST', path: '/jobs', handler: (r) => jobs.submit(r.body as SubmitJobRequest) },
    {
      method: 'GET',
      path: '/jobs',
      handler: async (): Promise<JobsView> => {
        const { active, queued } = lanes.list();
        const pools = Object.fromEntries(Object.values(lanes.plans()).map((p) => [p.name, { cap: p.cap, lanes: p.lanes }]));
        // Redis down: the jobs are still listed, the buffer part is left out
        const keys = bufferKeys(ctx.config.redis.keyPrefix, ctx.config.beat.ingestBufferKey);
        const ingestBuffer = ctx.redis ? await bufferView(ctx.redis, keys, 10).catch(() => null) : null;
        return { active, queued, pools, jobs: (await recentJobs(ctx.store, 20)).map(toJobView), ingestBuffer };
      },
    },
    { method: 'GET', path: '/jobs/:id', handler: (r) => jobView(ctx, jobId(r.params.id)) },
    {
      method: 'GET',
      path: '/jobs/:id/stream',
      handler: async (r) => {
        const id = jobId(r.params.id);
        await jobView(ctx, id); // 404 before the stream starts
        // the job's own events wake the stream and its final frame ends it: the follower hears of the end at once,
        // not up to an interval later (the interval stays for jobs another daemon runs)
        return streamNdjson(r, interval, () => jobView(ctx, id), {
          wake: (now) => ctx.events.on('jobs:changed', (e) => e.id === id && now()),
          last: (v) => isFinished((v as JobView).status),
        });
      },
    },
    { method: 'POST', path: '/jobs/:id/cancel', handler: (r) => jobs.cancel(jobId(r.params.id)) },
    { method: 'POST', path: '/lanes/:lane/pause', handler: (r) => pause(r.params.lane, true) },
    { method: 'POST', path: '/lanes/:lane/resume', handler: (r) => pause(r.params.lane, false) },
    {
      method: 'POST',
      path: '/shutdown',
      handler: (r) => {
        // answer first, then drain: the client waits for the pid to go away
        r.res.once('finish', () => setImmediate(d.shutdown));
        return { stopping: true };
      },
    },
  ];
}
