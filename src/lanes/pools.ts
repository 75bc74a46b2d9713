import type { Config, LaneName, PoolName } from '../config/schema.js';
import { LANES, POOLS } from '../config/schema.js';

/** One pool as configured: cap, lanes in priority order, start-up jitter, whether it may call the LLM. */
export interface PoolPlan {
  name: PoolName;
  cap: number;
  lanes: LaneName[];
  jitterMs: [number, number];
  llm: boolean;
}

export function poolPlans(config: Config): Record<PoolName, PoolPlan> {
  const out = {} as Record<PoolName, PoolPlan>;
  for (const name of POOLS) {
    const p = config.pools[name];
    if (!p) throw new Error(`pool ${name} is not configured`);
    out[name] = { name, cap: p.cap, lanes: [...p.lanes], jitterMs: [p.jitterMs[0], p.jitterMs[1]], llm: p.llm };
  }
  return out;
}

/** The pools that serve a lane: the first is its own, the rest only take overflow. */
export function lanePools(config: Config, lane: LaneName): PoolName[] {
  const def = config.lanes[lane];
  if (!def) throw new Error(`lane ${lane} is not configured`);
  return [...def.pools];
}

export function isLane(name: string): name is LaneName {
  return (LANES as readonly string[]).includes(name);
}

/** Priority of a lane inside a pool for better-queue: a higher number is taken first. */
export function lanePriority(plan: PoolPlan, lane: LaneName): number {
  const i = plan.lanes.indexOf(lane);
  return i < 0 ? 0 : plan.lanes.length - i;
}

export interface PoolLoad {
  active: number;
  queued: number;
}

/**
 * Where a new task of `lane` goes: the lane's own pool when it has a free slot, else the first overflow pool with
 * a free slot (learning spills into insight/theme only when vip is full), else it queues on its own pool.
 * A pool is free when what it runs plus what waits on it is under its cap, so overflow never jumps a queue.
 */
export function choosePool(plans: Record<PoolName, PoolPlan>, pools: PoolName[], load: (p: PoolName) => PoolLoad): PoolName {
  for (const p of pools) {
    const l = load(p);
    if (l.active + l.queued < plans[p].cap) return p;
  }
  return pools[0];
}
