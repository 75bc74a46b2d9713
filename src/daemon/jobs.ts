import type { LaneName } from '../config/schema.js';
import type { DaemonContext } from '../context.js';
import type { Service, ServiceJob } from '../lanes/types.js';
import type { JobView, SubmitJobRequest } from './api.js';
import { errorMessage } from '../errors.js';
import { learnState, noSuchProduct } from '../store/labels.js';
import {
  cancelRequested,
  claimJobs,
  failJob,
  finishJob,
  getJobRow,
  insertJob,
  markRunning,
  openJobCovering,
  openJobs,
  releaseJobs,
  requestCancel,
  saveProgress,
  toJobView,
  type JobRow,
} from '../store/jobs.js';
import { HttpError } from './server.js';
import { sleep } from '../abort.js';

/** The lane a job row is listed under; the service decides which lanes its work actually runs on. */
export const KIND_LANES: Record<string, LaneName> = {
  translate: 'translation',
  bullets: 'translation',
  learn: 'learning',
  analyze: 'learning',
  report: 'reports',
};

/** kinds whose productId must name a stored product */
const PRODUCT_KINDS = new Set(['learn', 'analyze']);

const PROGRESS_EVERY_MS = 500;
/** exclusive rows one daemon works on at once; the lanes bound the real concurrency */
const MAX_EXCLUSIVE = 64;
/** tries of a finished job's final write (about 30 s in all) before it is left to its lease */
const SETTLE_ATTEMPTS = 6;

export interface JobManager {
  submit(req: SubmitJobRequest, source?: string): Promise<JobView>;
  kinds(): string[];
  /** ids of the rows this daemon is running now */
  running(): number[];
  /** look for work now (a row was inserted or changed) */
  poke(): void;
  /**
   * `voc jobs cancel`: a queued job is cancelled at once; a running one is asked to wind down (here at once, on the
   * other daemons of a cluster at their next poll) and ends `cancelled`. 404 unknown job, 409 already finished.
   */
  cancel(id: number): Promise<JobView>;
  /** stop claiming, stop services, wait for runs up to timeoutMs, then give exclusive rows back */
  stop(timeoutMs: number): Promise<void>;
}

export function createJobManager(ctx: DaemonContext, services: Service[], o: { pollMs: number }): JobManager {
  const byKind = new Map<string, { service: Service; mode: 'shared' | 'exclusive' }>();
  for (const s of services) for (const [kind, mode] of Object.entries(s.kinds)) byKind.set(kind, { service: s, mode });
  const exclusive = [...byKind].filter(([, v]) => v.mode === 'exclusive').map(([k]) => k);
  const shared = [...byKind].filter(([, v]) => v.mode === 'shared').map(([k]) => k);
  const running = new Map<number, { promise: Promise<void>; mode: 'shared' | 'exclusive'; cancel: AbortController }>();
  const log = ctx.log.child({ part: 'jobs' });
  let stopping = false;
  let sharedSubmits: Promise<unknown> = Promise.resolve();
  let ticking = false;
  let again = false;

  const offChanged = ctx.events.on('jobs:changed', (e) => {
    if (e.status === 'queued') poke();
  });
  const timer = setInterval(poke, o.pollMs);
  timer.unref();

  function poke(): void {
    if (stopping) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    void tick()
      .catch((err) => log.warn('job_poll_failed', { error: errorMessage(err) }))
      .finally(() => {
        ticking = false;
        if (again && !stopping) {
          again = false;
          poke();
        }
      });
  }

  async function tick(): Promise<void> {
    // a cancel asked of another daemon (a cluster): the jobs running here wind down too
    const live = [...running].filter(([, r]) => !r.cancel.signal.aborted).map(([id]) => id);
    for (const id of await cancelRequested(ctx.store, live)) running.get(id)?.cancel.abort();
    const exclusiveRunning = [...running.values()].filter((r) => r.mode === 'exclusive').length;
    const claimed = await claimJobs(ctx.store, exclusive, ctx.daemonId, ctx.config.daemon.leaseMs, MAX_EXCLUSIVE - exclusiveRunning);
    for (const row of claimed) start(row, 'exclusive');
    for (const row of await openJobs(ctx.store, shared)) {
      if (stopping || running.has(row.id)) continue;
      if (row.status === 'queued') await markRunning(ctx.store, row.id);
      start(row, 'shared');
    }
  }

  function start(row: JobRow, mode: 'shared' | 'exclusive'): void {
    if (stopping) return;
    const entry = byKind.get(row.kind);
    if (!entry) return;
    const view = toJobView(row);
    const cancel = new AbortController();
    // a job cancelled before this daemon (re)started it: it only winds down
    if (view.cancelRequestedAt != null) cancel.abort();
    const job: ServiceJob = { id: view.id, kind: view.kind, productId: view.productId, params: view.params, signal: cancel.signal };
    ctx.events.emit('jobs:changed', { id: job.id, kind: job.kind, status: 'running' });
    log.info('job_started', { id: job.id, kind: job.kind, mode, cancelled: cancel.signal.aborted || undefined });
    // an exclusive job (learn, report, bullets) holds nothing to wind down once its daemon is gone
    const work = mode === 'exclusive' && cancel.signal.aborted ? Promise.resolve({}) : null;
    const promise = run(entry.service, job, work).finally(() => running.delete(job.id));
    running.set(job.id, { promise, mode, cancel });
  }

  async function run(service: Service, job: ServiceJob, work: Promise<Record<string, unknown>> | null): Promise<void> {
    let last = 0;
    let pending: Record<string, unknown> | null = null;
    let timer: NodeJS.Timeout | null = null;
    const flush = () => {
      timer = null;
      if (!pending) return;
      const snap = pending;
      pending = null;
      last = Date.now();
      saveProgress(ctx.store, job.id, snap).catch((err) => log.warn('progress_failed', { id: job.id, error: errorMessage(err) }));
    };
    // at most one write per PROGRESS_EVERY_MS; the latest snapshot wins
    const progress = (snap: Record<string, unknown>) => {
      pending = snap;
      if (timer) return;
      const wait = Math.max(0, last + PROGRESS_EVERY_MS - Date.now());
      timer = setTimeout(flush, wait);
    };
    try {
      const result = await (work ?? service.runJob(job, progress));
      if (timer) clearTimeout(timer);
      // a run that saw the cancel wound down: what it did is kept, the row says why it stopped
      const status = job.signal?.aborted ? 'cancelled' : 'done';
      if (await settle(job, () => finishJob(ctx.store, job.id, result ?? {}, status))) {
        log.info(status === 'done' ? 'job_done' : 'job_cancelled', { id: job.id, kind: job.kind });
        if (status === 'cancelled') ctx.events.emit('log:line', { text: `job ${job.id} (${job.kind}) cancelled` });
        ctx.events.emit('jobs:changed', { id: job.id, kind: job.kind, status });
      }
    } catch (err) {
      if (timer) clearTimeout(timer);
      // a job cut short by shutdown is not a failure: its row goes back to the queue (or stays shared)
      if (stopping || ctx.signal.aborted) return;
      const reason = errorMessage(err);
      if (await settle(job, () => failJob(ctx.store, job.id, reason))) {
        log.warn('job_failed', { id: job.id, kind: job.kind, error: reason });
        ctx.events.emit('log:line', { text: `job ${job.id} (${job.kind}) failed: ${reason}` });
        ctx.events.emit('jobs:changed', { id: job.id, kind: job.kind, status: 'failed' });
      }
    }
  }

  /**
   * The row's final write, retried through a short store outage. If it never lands the row stays `running`: its
   * lease is no longer renewed (the run is over), so it expires and the job runs again; a shared row is picked up
   * again by the next poll. Either way the outcome is not lost for want of one UPDATE.
   */
  async function settle(job: ServiceJob, write: () => Promise<boolean>): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (attempt >= SETTLE_ATTEMPTS || stopping || ctx.signal.aborted) {
          log.error('job_settle_failed', { id: job.id, kind: job.kind, attempts: attempt, error: errorMessage(err) });
          return false;
        }
        await sleep(Math.min(8000, 500 * 2 ** attempt));
      }
    }
  }

  async function submit(req: SubmitJobRequest, source = 'cli'): Promise<JobView> {
    if (!req || typeof req.kind !== 'string' || !byKind.has(req.kind)) {
      throw new HttpError(
        400,
        'UNKNOWN_KIND',
        `no service runs jobs of kind ${JSON.stringify(req?.kind)} (known: ${[...byKind.keys()].join(', ') || 'none'})`,
      );
    }
    if (req.params != null && (typeof req.params !== 'object' || Array.isArray(req.params)))
      throw new HttpError(400, 'BAD_PARAMS', 'params must be an object');
    if (req.productId != null && typeof req.productId !== 'string') throw new HttpError(400, 'BAD_PRODUCT', 'productId must be a string');
    // learning or analysing a product the store does not hold can only fail: say so now, not in a job's error
    if (req.productId != null && PRODUCT_KINDS.has(req.kind) && !(await learnState(ctx.store, req.productId)))
      throw noSuchProduct(req.productId);
    if (byKind.get(req.kind)?.mode !== 'shared') return insert(req, source);
    // one backlog, one job: a second run over the same reviews would split them, and each summary would tell half
    // the story; the caller follows the open job instead (the beat's, a cron's, another daemon's). Submits are
    // serialised so two at once cannot both find none open.
    const turn = sharedSubmits.then(async () => {
      const open = await openJobCovering(ctx.store, req.kind, req.productId ?? null, req.params?.batch);
      return open ? { ...toJobView(open), attached: true } : insert(req, source);
    });
    sharedSubmits = turn.catch(() => {});
    return turn;
  }

  async function insert(req: SubmitJobRequest, source: string): Promise<JobView> {
    const lane =
      KIND_LANES[req.kind] ??
      (typeof req.params?.lane === 'string' && req.params.lane in ctx.config.lanes ? (req.params.lane as LaneName) : 'reports');
    const row = await insertJob(ctx.store, { kind: req.kind, lane, productId: req.productId ?? null, params: req.params ?? {}, source });
    ctx.events.emit('jobs:changed', { id: Number(row.id), kind: row.kind, status: 'queued' });
    return toJobView(row);
  }

  async function cancel(id: number): Promise<JobView> {
    const r = await requestCancel(ctx.store, id);
    if (r.outcome === 'missing') throw new HttpError(404, 'NO_JOB', `no job ${id}`);
    const view = toJobView(r.row);
    if (r.outcome === 'finished') throw new HttpError(409, 'JOB_FINISHED', `job ${id} (${view.kind}) is already ${view.status}`);
    log.info('job_cancel_requested', { id, kind: view.kind, outcome: r.outcome });
    if (r.outcome === 'cancelled') {
      ctx.events.emit('log:line', { text: `job ${id} (${view.kind}) cancelled before it started` });
      ctx.events.emit('jobs:changed', { id, kind: view.kind, status: 'cancelled' });
    } else {
      ctx.events.emit('log:line', { text: `job ${id} (${view.kind}): cancel asked; it stops taking work and keeps what is done` });
      running.get(id)?.cancel.abort();
      poke();
    }
    return view;
  }

  async function stop(timeoutMs: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    offChanged();
    await Promise.allSettled(services.map((s) => s.stop?.()));
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...running.values()].map((r) => r.promise)),
      new Promise((r) => (t = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(t);
    const left = [...running].filter(([, r]) => r.mode === 'exclusive').map(([id]) => id);
    if (left.length) await releaseJobs(ctx.store, ctx.daemonId, left);
  }

  return { submit, kinds: () => [...byKind.keys()], running: () => [...running.keys()], poke, cancel, stop };
}

export async function jobView(ctx: DaemonContext, id: number): Promise<JobView> {
  const row = await getJobRow(ctx.store, id);
  if (!row) throw new HttpError(404, 'NO_JOB', `no job ${id}`);
  return toJobView(row);
}
