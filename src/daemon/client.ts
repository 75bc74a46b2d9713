import http from 'node:http';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Config, LaneName } from '../config/schema.js';
import { PACKAGE_ROOT } from '../config/load.js';
import { DaemonUnavailableError, VocError } from '../errors.js';
import type { IngestSink } from '../ingest/sink.js';
import type { DaemonClient, Health, JobView, JobsView, Stats } from './api.js';
import { homePaths, prepareHome } from './lifecycle.js';

/**
 * The socket is there but nobody answers, or it is not there at all. Requests use no keep-alive agent: a pooled
 * connection to a daemon that restarted would fail with EPIPE, and unix-socket connects are cheap.
 */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTSOCK']);

function request(socketPath: string, method: string, route: string, body?: unknown, timeoutMs = 0): Promise<unknown> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, agent: false, method, path: route, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            return reject(new VocError('DAEMON_PROTOCOL', `the daemon answered ${res.statusCode} with something that is not JSON`));
          }
          if ((res.statusCode ?? 500) >= 400) {
            const e = (json as { error?: { code?: string; message?: string } })?.error;
            return reject(new VocError(e?.code ?? 'DAEMON_ERROR', e?.message ?? `the daemon answered ${res.statusCode}`));
          }
          resolve(json);
        });
      },
    );
    if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ECONNRESET' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (UNREACHABLE.has(err.code ?? '')) reject(new DaemonUnavailableError(`no daemon answers on ${socketPath}`));
      else reject(err);
    });
    req.end(payload);
  });
}

/** GET an NDJSON stream and hand each parsed line to onFrame until it ends or the signal aborts. */
function stream(socketPath: string, route: string, onFrame: (v: unknown) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return resolve();
    const req = http.request({ socketPath, agent: false, method: 'GET', path: route }, (res) => {
      if ((res.statusCode ?? 500) >= 400) {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          let msg = `the daemon answered ${res.statusCode}`;
          try {
            msg = JSON.parse(Buffer.concat(parts).toString('utf8')).error.message ?? msg;
          } catch {
            // keep the status line
          }
          reject(new VocError('DAEMON_ERROR', msg));
        });
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) onFrame(JSON.parse(line));
        }
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
      res.on('aborted', () => resolve());
    });
    signal?.addEventListener('abort', () => (req.destroy(), resolve()), { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (signal?.aborted) return resolve();
      if (UNREACHABLE.has(err.code ?? '')) reject(new DaemonUnavailableError(`no daemon answers on ${socketPath}`));
      else reject(err);
    });
    req.end();
  });
}

export function clientFor(socketPath: string): DaemonClient {
  const get = <T>(p: string) => request(socketPath, 'GET', p) as Promise<T>;
  const post = <T>(p: string, body: unknown = {}) => request(socketPath, 'POST', p, body) as Promise<T>;
  return {
    health: () => get<Health>('/health'),
    stats: () => get<Stats>('/stats'),
    streamStats: (onStats, signal) => stream(socketPath, '/stats/stream', (v) => onStats(v as Stats), signal),
    ingest: (chunk) => post('/ingest', chunk),
    submitJob: (req) => post<JobView>('/jobs', req),
    getJob: (id) => get<JobView>(`/jobs/${id}`),
    async followJob(id, onUpdate, signal) {
      let last: JobView | null = null;
      await stream(socketPath, `/jobs/${id}/stream`, (v) => {
        last = v as JobView;
        onUpdate(last);
      }, signal);
      if (last && ((last as JobView).status === 'done' || (last as JobView).status === 'failed')) return last;
      if (signal?.aborted) return last ?? get<JobView>(`/jobs/${id}`);
      // the stream ended early (daemon restarting): the row is the truth
      throw new DaemonUnavailableError(`the daemon went away while job ${id} was running; it resumes when the daemon restarts`);
    },
    jobs: () => get<JobsView>('/jobs'),
    pause: (lane: LaneName) => post(`/lanes/${lane}/pause`),
    resume: (lane: LaneName) => post(`/lanes/${lane}/resume`),
    shutdown: async () => {
      await post('/shutdown');
    },
  };
}

/** Start `voc daemon run --background-child` detached, its output appended to the home's log. */
export function spawnDaemon(config: Config, o: { configFile?: string; env?: NodeJS.ProcessEnv } = {}): number {
  prepareHome(config.home);
  const p = homePaths(config.home);
  const fd = openSync(p.log, 'a', 0o600);
  try {
    const args = [path.join(PACKAGE_ROOT, 'bin', 'voc')];
    if (o.configFile) args.push('--config', o.configFile);
    args.push('daemon', 'run', '--background-child');
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...(o.env ?? process.env), VOC_HOME: config.home },
      cwd: config.home,
    });
    child.unref();
    return child.pid ?? 0;
  } finally {
    closeSync(fd);
  }
}

/** Poll /health until it answers or the deadline passes. */
export async function waitForDaemon(socketPath: string, deadlineMs: number): Promise<Health | null> {
  const end = Date.now() + deadlineMs;
  let delay = 25;
  while (Date.now() < end) {
    try {
      return (await request(socketPath, 'GET', '/health', undefined, 2000)) as Health;
    } catch {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(250, delay * 2);
    }
  }
  return null;
}

export interface ConnectOptions {
  autostart: boolean;
  quiet?: boolean;
  configFile?: string;
  /** how long to wait for a started daemon to answer */
  startTimeoutMs?: number;
}

/** A client for the home's daemon; with autostart, a daemon is started in the background when none answers. */
export async function connectDaemon(config: Config, o: ConnectOptions): Promise<DaemonClient> {
  const p = homePaths(config.home);
  const client = clientFor(p.socket);
  try {
    await request(p.socket, 'GET', '/health', undefined, 5000);
    return client;
  } catch (err) {
    if (!(err instanceof DaemonUnavailableError)) throw err;
    if (!o.autostart) throw new DaemonUnavailableError(`no daemon is running for ${config.home}`);
  }
  const pid = spawnDaemon(config, { configFile: o.configFile });
  const health = await waitForDaemon(p.socket, o.startTimeoutMs ?? 20_000);
  if (!health) throw new DaemonUnavailableError(`the daemon did not start (see ${p.log})`);
  if (!o.quiet) process.stderr.write(`voc: started the daemon (pid ${health.pid || pid}, log ${p.log})\n`);
  return client;
}

/** The ingest sink that posts each chunk to the daemon's ingestion lane; resolves after the commit. */
export function daemonSink(client: DaemonClient): IngestSink {
  return {
    write: (chunk) => client.ingest({ file: chunk.file, rows: chunk.rows, products: chunk.products }),
    close: async () => {},
  };
}
