import type { DaemonContext } from '../context.js';
import { errorMessage } from '../errors.js';

/** One dependency's answer: reachable or not, how long it took, and why not. */
export interface DependencyCheck {
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * The provider as the gateway sees it. voc has no breaker that stops calls after errors (each call retries with
 * back-off); the gate that does stop calls is the throttle: while the shared window (Redis) cannot be reached no
 * call is sent. `breaker` is that gate: `open` = calls are held. `consecutiveErrors` counts answers other than 2xx
 * or 429 in a row (401, 5xx, timeouts), so a supervisor sees a dead key or endpoint without reading the log.
 */
export interface ProviderCheck {
  breaker: 'closed' | 'open';
  state: 'ok' | 'held' | 'failing';
  consecutiveErrors: number;
  lastStatus: number | null;
  endpoint: string;
  model: string;
  simulated: boolean;
}

/** What `GET /health` adds to the daemon's identity, and what `voc daemon status --json` carries. */
export interface HealthChecks {
  status: 'ok' | 'degraded';
  store: DependencyCheck;
  /** null when no Redis is configured */
  redis: DependencyCheck | null;
  provider: ProviderCheck;
}

const CHECK_TIMEOUT_MS = 800;
const CACHE_MS = 1000;
/** errors in a row before the provider counts as failing */
const FAILING_AFTER = 5;

async function timed(probe: () => Promise<unknown>): Promise<DependencyCheck> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, ms: Date.now() - t0 };
  } catch (err) {
    return { ok: false, ms: Date.now() - t0, error: errorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthMonitor {
  /** the checks, at most CACHE_MS old; concurrent callers share one probe */
  check(): Promise<HealthChecks>;
  close(): void;
}

/**
 * Probes the store and Redis on demand (bounded by CHECK_TIMEOUT_MS, so a supervisor's poll never hangs on a dead
 * server) and follows the provider through the gateway's `llm:call` events, which it emits anyway.
 */
export function createHealthMonitor(ctx: DaemonContext): HealthMonitor {
  let consecutiveErrors = 0;
  let lastStatus: number | null = null;
  const off = ctx.events.on('llm:call', (e) => {
    lastStatus = e.status;
    if ((e.status >= 200 && e.status < 300) || e.status === 429) consecutiveErrors = 0;
    else consecutiveErrors++;
  });
  let cached: { at: number; value: HealthChecks } | null = null;
  let pending: Promise<HealthChecks> | null = null;

  async function probe(): Promise<HealthChecks> {
    const [store, redis] = await Promise.all([
      timed(() => ctx.store.knex.raw('select 1')),
      ctx.redis ? timed(() => ctx.redis!.ping()) : Promise.resolve(null),
    ]);
    const g = ctx.gateway.stats();
    const held = !g.throttleHealthy;
    const provider: ProviderCheck = {
      breaker: held ? 'open' : 'closed',
      state: held ? 'held' : consecutiveErrors >= FAILING_AFTER ? 'failing' : 'ok',
      consecutiveErrors,
      lastStatus,
      endpoint: g.endpoint,
      model: g.model,
      simulated: g.simulated,
    };
    const ok = store.ok && (redis?.ok ?? true) && provider.state === 'ok';
    return { status: ok ? 'ok' : 'degraded', store, redis, provider };
  }

  return {
    check: () => {
      if (cached && Date.now() - cached.at < CACHE_MS) return Promise.resolve(cached.value);
      pending ??= probe()
        .then((value) => {
          cached = { at: Date.now(), value };
          return value;
        })
        .finally(() => (pending = null));
      return pending;
    },
    close: () => off(),
  };
}
