import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { PACKAGE_ROOT } from '../config/load.js';
import { newCounters, type DaemonContext } from '../context.js';
import { SafeEmitter, type VocEvents } from '../events.js';
import type { Logger } from '../log.js';
import { openDaemonLog, type LogTarget } from './logging.js';
import type { Service } from '../lanes/types.js';
import { createLaneRunner, type Lanes } from '../lanes/runner.js';
import { checkpointInThread } from '../store/checkpointer.js';
import { openStore, parsePgUrl, type Store } from '../store/db.js';
import { releaseClaims, WORK_KINDS } from '../store/claims.js';
import { releaseJobs } from '../store/jobs.js';
import { pausedLanes } from '../store/lane-state.js';
import { markDaemonStopped } from '../store/daemons.js';
import { usageWriter } from '../store/usage.js';
import { errorMessage } from '../errors.js';
import type { Health } from './api.js';
import type { Stats } from './stats-types.js';
import { acquirePidLock, checkSocketPath, daemonId, homePaths, removeStaleSocket } from './lifecycle.js';
import { prepareHome } from '../config/home.js';
import { listenSocket } from './server.js';
import { daemonRoutes } from './routes.js';
import { createJobManager, type JobManager } from './jobs.js';
import { createStatsBuilder } from './stats.js';
import { createHealthMonitor, type HealthChecks } from './health.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { createLeases, startHeartbeat } from './heartbeat.js';
import { beatTasks, startBeat } from './beat.js';
import { bufferQueue } from '../ingest/buffer.js';
import { sweepBatchFiles } from '../batch/files.js';
import { defaultGateway, type GatewayFactory } from './gateway.js';
import { defaultServices } from './services.js';

export interface StartOptions {
  /** where the log goes: the home's rotating daemon.log (default), stdout (`voc daemon run`), or a given logger */
  log?: LogTarget;
  /** the services that run job rows; default: src/daemon/services.ts */
  services?: (ctx: DaemonContext) => Service[];
  /** replaces the LLM gateway (tests, benchmarks) */
  gatewayFactory?: GatewayFactory;
  /** called when the beat runs a tick (tests) */
  onBeat?: (name: string) => void;
}

export interface Daemon {
  ctx: DaemonContext;
  lanes: Lanes;
  jobs: JobManager;
  socketPath: string;
  /** http://host:port of /metrics and /health when daemon.metricsPort is set and could be bound, else null */
  metricsUrl: string | null;
  health(): Health;
  /** store, Redis and provider, as `GET /health` reports them */
  checkHealth(): Promise<HealthChecks>;
  stats(): Promise<Stats>;
  /** graceful: stop taking work, wait for in-flight jobs (daemon.shutdownTimeoutMs), release claims. Idempotent. */
  close(): Promise<void>;
  /** settles when the daemon has closed, whoever asked (SIGTERM, POST /shutdown) */
  closed: Promise<void>;
}

export const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
})();

function dbPassword(url: string | null): string | null {
  if (!url) return null;
  try {
    return decodeURIComponent(new URL(parsePgUrl(url).connectionString).password) || null;
  } catch {
    return null;
  }
}

/** Run every cleanup step even if one throws; report the failures to the log. */
async function runSteps(log: Logger, steps: Array<[string, () => unknown]>): Promise<void> {
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      log.warn('close_step_failed', { step: name, error: errorMessage(err) });
    }
  }
}

/** Give this daemon's processing list back to the ingest buffer; Redis down leaves it for the next take. */
async function releaseBuffer(ctx: DaemonContext): Promise<void> {
  try {
    const n = (await bufferQueue(ctx)?.release()) ?? 0;
    if (n) ctx.log.info('ingest_buffer_released', { elements: n });
  } catch (err) {
    ctx.log.warn('ingest_buffer_release_failed', { error: errorMessage(err) });
  }
}

export async function startDaemon(config: Config, opts: StartOptions = {}): Promise<Daemon> {
  const home = config.home;
  const paths = homePaths(home);
  checkSocketPath(paths.socket);
  prepareHome(home);
  const lock = acquirePidLock(home);
  const startedAt = Date.now();
  const secrets = [config.llm.apiKey, dbPassword(config.store.databaseUrl), dbPassword(config.redis.url)];
  const daemonLog = openDaemonLog(config, opts.log ?? 'file', secrets);
  let log: Logger = daemonLog.log;
  const id = daemonId(home);
  log = log.child({ daemon: id });
  const cleanup: Array<[string, () => unknown]> = [];
  try {
    if (removeStaleSocket(paths.socket)) log.info('stale_socket_removed', { socket: paths.socket });
    if (lock.staleCleaned) log.info('stale_pid_removed', { pidFile: paths.pid });
    const swept = sweepBatchFiles(home);
    if (swept) log.info('stale_batch_files_removed', { count: swept });
    const store: Store = await openStore(config);
    cleanup.push(['store', () => store.close()]);
    if (store.dialect === 'sqlite') cleanup.unshift(['checkpointer', await checkpointInThread(store, store.where)]);
    let redis: Redis | null = null;
    if (config.redis.url) {
      const r = new Redis(config.redis.url, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
      r.on('error', (err) => log.warn('redis_error', { error: errorMessage(err) }));
      redis = r;
      cleanup.unshift(['redis', () => r.quit().catch(() => r.disconnect())]);
    }
    // our own claims from before a crash: released now instead of waiting for their leases to expire
    let released = 0;
    for (const kind of WORK_KINDS) released += await releaseClaims(store, kind, id);
    released += await releaseJobs(store, id);
    if (released) log.info('stale_claims_released', { count: released });

    const ac = new AbortController();
    // every in-flight lane task may listen for the drain: hundreds of listeners are expected, not a leak
    setMaxListeners(0, ac.signal);
    const events = new SafeEmitter<VocEvents>(log);
    const lanes = createLaneRunner({ config, events, log, signal: ac.signal, paused: await pausedLanes(store) });
    const gwArgs = { config, log, redis, usage: usageWriter(store), events };
    const gw = opts.gatewayFactory
      ? await (async () => {
          const g = await opts.gatewayFactory!(gwArgs);
          return { gateway: g, close: () => g.close() };
        })()
      : await defaultGateway(gwArgs);
    cleanup.unshift(['gateway', () => gw.close()]);
    // renewed by the heartbeat, started below
    const leases = createLeases({ leaseMs: config.daemon.leaseMs, beatMs: config.daemon.heartbeatMs });
    // the job manager is made from the services, and a service may submit jobs (analysis/auto.ts): its submits
    // wait for the manager
    let manager!: (jobs: JobManager) => void;
    const managed = new Promise<JobManager>((resolve) => (manager = resolve));
    const ctx: DaemonContext = {
      config,
      log,
      store,
      redis,
      daemonId: id,
      events,
      gateway: gw.gateway,
      lanes,
      counters: newCounters(),
      submitJob: async (req, source) => (await managed).submit(req, source),
      leases,
      signal: ac.signal,
    };
    const services = (opts.services ?? defaultServices)(ctx);
    const jobs = createJobManager(ctx, services, { pollMs: Math.min(1000, config.daemon.heartbeatMs) });
    manager(jobs);
    cleanup.unshift(['jobs', () => jobs.stop(0)]);
    const stats = createStatsBuilder(ctx, lanes, { startedAt, version: VERSION });
    const hb = startHeartbeat(ctx, lanes, {
      startedAt,
      version: VERSION,
      home,
      snapshot: () => stats.snapshot(),
      running: () => jobs.running(),
      leases,
    });
    cleanup.unshift(['heartbeat', () => hb.stop()]);
    await hb.beat();
    // a batch of the ingest buffer this daemon held when it died goes back to the buffer, like its claims
    await releaseBuffer(ctx);
    const beat = startBeat(ctx, beatTasks(ctx, jobs), opts.onBeat);
    cleanup.unshift(['beat', () => beat.stop()]);
    const health = (): Health => ({ id, pid: process.pid, version: VERSION, startedAt, home, simulated: ctx.gateway.stats().simulated });
    const monitor = createHealthMonitor(ctx);
    cleanup.unshift(['health', () => monitor.close()]);
    const fullHealth = async (): Promise<Health & { checks: HealthChecks }> => ({ ...health(), checks: await monitor.check() });
    let metricsServer: MetricsServer | null = null;
    if (config.daemon.metricsPort !== null) {
      // prom-client is loaded only when metrics are on
      const { createDaemonMetrics } = await import('./metrics.js');
      const metrics = createDaemonMetrics(ctx, stats, monitor, { version: VERSION, startedAt });
      cleanup.unshift(['metrics', () => metrics.close()]);
      metricsServer = await startMetricsServer({
        host: config.daemon.metricsHost,
        port: config.daemon.metricsPort,
        metrics,
        health: fullHealth,
        log,
      });
      if (metricsServer) {
        const m = metricsServer;
        cleanup.unshift(['metrics_server', () => m.close()]);
      }
    }

    let closing: Promise<void> | null = null;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    const close = () =>
      (closing ??= (async () => {
        log.info('daemon_stopping', {});
        const timeout = config.daemon.shutdownTimeoutMs;
        await runSteps(log, [
          ['beat', () => beat.stop()],
          ['abort', () => ac.abort()],
          ['drain', () => Promise.all([jobs.stop(timeout), lanes.drain(timeout), beat.idle()])],
          ['heartbeat', () => hb.stop()],
          [
            'release_claims',
            async () => {
              for (const kind of WORK_KINDS) await releaseClaims(store, kind, id);
              await releaseJobs(store, id);
            },
          ],
          ['release_buffer', () => releaseBuffer(ctx)],
          ['mark_stopped', () => markDaemonStopped(store, id)],
          ['server', () => server.close()],
          ['stats', () => stats.close()],
          ...cleanup,
          ['socket', () => removeStaleSocket(paths.socket)],
          ['lock', () => lock.release()],
        ]);
        log.info('daemon_stopped', {});
        daemonLog.close();
        resolveClosed();
      })());
    const server = await listenSocket({
      socketPath: paths.socket,
      maxRequestBytes: config.daemon.maxRequestBytes,
      log,
      routes: daemonRoutes({ ctx, lanes, jobs, stats, health: fullHealth, shutdown: () => void close() }),
    });
    jobs.poke();
    log.info('daemon_started', {
      pid: process.pid,
      socket: paths.socket,
      store: store.where,
      services: services.map((s) => s.name),
      metrics: metricsServer?.url ?? null,
    });
    return {
      ctx,
      lanes,
      jobs,
      socketPath: paths.socket,
      metricsUrl: metricsServer?.url ?? null,
      health,
      checkHealth: () => monitor.check(),
      stats: () => stats.build(),
      close,
      closed,
    };
  } catch (err) {
    await runSteps(log, [...cleanup, ['lock', () => lock.release()]]);
    daemonLog.close();
    throw err;
  }
}
