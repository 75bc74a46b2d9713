import Queue from 'better-queue';
import type { Config, LaneName, PoolName } from '../config/schema.js';
import { LANES, POOLS } from '../config/schema.js';
import type { SafeEmitter, VocEvents } from '../events.js';
import type { Logger } from '../log.js';
import { StoppingError, errorMessage } from '../errors.js';
import type { ActiveLaneTask, LaneTask, LaneRunner, LaneStats, PoolStats } from './types.js';
import { choosePool, lanePools, lanePriority, poolPlans, type PoolPlan } from './pools.js';
import { LaneMetrics } from './metrics.js';
import { sleep } from '../abort.js';

interface Entry {
  id: string;
  task: LaneTask<unknown>;
  pool: PoolName;
  since: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface PoolWorker {
  plan: PoolPlan;
  queue: Queue<Entry, void>;
  waiting: Map<string, Entry>;
  /** entries of paused lanes: kept in order, pushed back into the queue on resume */
  held: Entry[];
  /** entries waiting out their start-up delay, before they queue for a slot */
  delaying: Set<Entry>;
  active: Set<Entry>;
  peak: number;
}

export interface LaneRunnerOptions {
  config: Config;
  events: SafeEmitter<VocEvents>;
  log: Logger;
  /** aborted when the daemon drains; passed to every task */
  signal: AbortSignal;
  paused?: Iterable<LaneName>;
  /** replaces the start-up jitter wait (tests, benchmarks) */
  random?: () => number;
}

/** The lanes and pools (six queues served by five worker pools in the original Celery design), with pause, counters and a drain for shutdown. */
export interface Lanes extends LaneRunner {
  setPaused(lane: LaneName, paused: boolean): void;
  pausedLanes(): LaneName[];
  laneStats(): Record<LaneName, LaneStats>;
  poolStats(): Record<PoolName, PoolStats>;
  list(): { active: ActiveLaneTask[]; queued: ActiveLaneTask[] };
  plans(): Record<PoolName, PoolPlan>;
  /** total tasks in flight */
  inFlight(): number;
  /** refuse queued and new tasks, then wait for in-flight ones up to timeoutMs; true when all finished */
  drain(timeoutMs: number): Promise<boolean>;
}

export function createLaneRunner(o: LaneRunnerOptions): Lanes {
  const plans = poolPlans(o.config);
  const random = o.random ?? Math.random;
  const paused = new Set<LaneName>(o.paused ?? []);
  const metrics = Object.fromEntries(LANES.map((l) => [l, new LaneMetrics()])) as Record<LaneName, LaneMetrics>;
  const queuedBy = Object.fromEntries(LANES.map((l) => [l, 0])) as Record<LaneName, number>;
  const activeBy = Object.fromEntries(LANES.map((l) => [l, 0])) as Record<LaneName, number>;
  let seq = 0;
  let stopping = false;
  const idle: Array<() => void> = [];
  // a lane's retries are its LLM requests sent again (a 429, a timeout, a 5xx): attempt 2 and later of a call
  o.events.on('llm:call', (e) => {
    if ((e.attempt ?? 1) > 1 && metrics[e.lane as LaneName]) metrics[e.lane as LaneName].retried++;
  });

  const workers = {} as Record<PoolName, PoolWorker>;
  for (const name of POOLS) {
    const plan = plans[name];
    const w: PoolWorker = { plan, waiting: new Map(), held: [], delaying: new Set(), active: new Set(), peak: 0, queue: null as never };
    w.queue = new Queue<Entry, void>(
      (entry: Entry, cb: (err?: unknown) => void) => {
        // an entry missing from `waiting` was refused by drain() already
        if (!w.waiting.delete(entry.id)) return cb();
        if (paused.has(entry.task.lane)) {
          // give the slot back without running: the task waits until the lane resumes
          w.held.push(entry);
          return cb();
        }
        void execute(w, entry).finally(() => cb());
      },
      {
        concurrent: plan.cap,
        // better-queue sorts its whole queue on every push that carries a priority: a pool of one lane (trans,
        // vip) has nothing to order, and at 200 calls/s the sorts were a visible share of the daemon's CPU
        ...(plan.lanes.length > 1 && {
          priority: (entry: Entry, cb: (err: unknown, p: number) => void) => cb(null, lanePriority(plan, entry.task.lane)),
        }),
      },
    );
    workers[name] = w;
  }

  async function execute(w: PoolWorker, entry: Entry): Promise<void> {
    const { task } = entry;
    const lane = task.lane;
    queuedBy[lane]--;
    activeBy[lane]++;
    w.active.add(entry);
    if (w.active.size > w.peak) w.peak = w.active.size;
    entry.since = Date.now();
    const ev = { lane, pool: w.plan.name, label: task.label };
    o.events.emit('task:start', ev);
    try {
      const t0 = Date.now();
      const value = await task.run({ pool: w.plan.name, signal: o.signal });
      const ms = Date.now() - t0;
      metrics[lane].record(true, ms);
      o.events.emit('task:done', { ...ev, ms });
      entry.resolve(value);
    } catch (err) {
      const ms = Date.now() - entry.since;
      metrics[lane].record(false, ms);
      o.events.emit('task:failed', { ...ev, ms, error: errorMessage(err) });
      entry.reject(err);
    } finally {
      w.active.delete(entry);
      activeBy[lane]--;
      if (inFlight() === 0) for (const fn of idle.splice(0)) fn();
    }
  }

  const load = (p: PoolName) => ({ active: workers[p].active.size, queued: workers[p].waiting.size });
  const inFlight = () => POOLS.reduce((n, p) => n + workers[p].active.size, 0);

  function submit<T>(task: LaneTask<T>): Promise<T> {
    if (stopping) return Promise.reject(new StoppingError());
    const pools = lanePools(o.config, task.lane);
    const pool = choosePool(plans, pools, load);
    const w = workers[pool];
    if (!w.plan.lanes.includes(task.lane)) {
      return Promise.reject(new Error(`pool ${pool} does not serve lane ${task.lane}`));
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        id: String(++seq),
        task: task as LaneTask<unknown>,
        pool,
        since: Date.now(),
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      queuedBy[task.lane]++;
      const [lo, hi] = w.plan.jitterMs;
      // the jitter spreads a burst of tasks starting together; a task alone in its pool (a learning task while the
      // other lanes are saturated) has nobody to collide with and starts at once
      const alone = w.active.size === 0 && w.waiting.size === 0 && w.delaying.size === 0;
      const delay = w.plan.llm && !alone ? lo + random() * (hi - lo) : 0;
      if (delay <= 0) return enqueue(w, entry);
      // the start-up delay is waited before a slot is taken: a slot held while sleeping would cap a pool of 100
      // at ~140 tasks/s with the trans pool's 0.2-1 s, below a 200/s budget
      w.delaying.add(entry);
      void sleep(delay, o.signal).then(() => {
        if (!w.delaying.delete(entry)) return; // refused by drain() meanwhile
        enqueue(w, entry);
      });
    });
  }

  function enqueue(w: PoolWorker, entry: Entry): void {
    if (paused.has(entry.task.lane)) {
      w.held.push(entry);
      return;
    }
    w.waiting.set(entry.id, entry);
    w.queue.push(entry);
  }

  function setPaused(lane: LaneName, p: boolean): void {
    if (p) {
      paused.add(lane);
      return;
    }
    if (!paused.delete(lane)) return;
    for (const name of POOLS) {
      const w = workers[name];
      const back = w.held.filter((e) => e.task.lane === lane);
      if (!back.length) continue;
      w.held = w.held.filter((e) => e.task.lane !== lane);
      for (const e of back) {
        w.waiting.set(e.id, e);
        w.queue.push(e);
      }
    }
  }

  function laneStats(): Record<LaneName, LaneStats> {
    const out = {} as Record<LaneName, LaneStats>;
    for (const lane of LANES) {
      const m = metrics[lane];
      const own = lanePools(o.config, lane)[0];
      out[lane] = {
        queued: queuedBy[lane],
        active: activeBy[lane],
        cap: plans[own].cap,
        done: m.done,
        failed: m.failed,
        retried: m.retried,
        ratePerMin: m.ratePerMin(),
        meanMs: m.meanMs(),
        p95Ms: m.p95Ms(),
        paused: paused.has(lane),
      };
    }
    return out;
  }

  function poolStats(): Record<PoolName, PoolStats> {
    const out = {} as Record<PoolName, PoolStats>;
    for (const name of POOLS) {
      const w = workers[name];
      const serving = [...new Set([...w.active].map((e) => e.task.lane))].sort((a, b) => w.plan.lanes.indexOf(a) - w.plan.lanes.indexOf(b));
      out[name] = {
        active: w.active.size,
        cap: w.plan.cap,
        queued: w.waiting.size + w.held.length + w.delaying.size,
        serving,
        peak: w.peak,
      };
    }
    return out;
  }

  function list(): { active: ActiveLaneTask[]; queued: ActiveLaneTask[] } {
    const t = Date.now();
    const view = (e: Entry, state: 'queued' | 'active'): ActiveLaneTask => ({
      lane: e.task.lane,
      pool: e.pool,
      label: e.task.label,
      state,
      sinceMs: t - e.since,
    });
    const active: ActiveLaneTask[] = [];
    const queued: ActiveLaneTask[] = [];
    for (const name of POOLS) {
      const w = workers[name];
      for (const e of w.active) active.push(view(e, 'active'));
      for (const e of w.waiting.values()) queued.push(view(e, 'queued'));
      for (const e of w.held) queued.push(view(e, 'queued'));
      for (const e of w.delaying) queued.push(view(e, 'queued'));
    }
    return { active, queued };
  }

  async function drain(timeoutMs: number): Promise<boolean> {
    stopping = true;
    // tasks that never started are refused now; their services see the rejection and give back claims
    for (const name of POOLS) {
      const w = workers[name];
      for (const e of [...w.held, ...w.delaying, ...w.waiting.values()]) {
        queuedBy[e.task.lane]--;
        e.reject(new StoppingError());
      }
      w.held = [];
      w.delaying.clear();
      w.waiting.clear();
    }
    if (inFlight() === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((r) => idle.push(() => r(true))),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return finished;
  }

  return {
    submit,
    queued: (lane) => queuedBy[lane] ?? 0,
    active: (lane) => activeBy[lane] ?? 0,
    isPaused: (lane) => paused.has(lane),
    setPaused,
    pausedLanes: () => [...paused],
    laneStats,
    poolStats,
    list,
    plans: () => plans,
    inFlight,
    drain,
  };
}
