import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config, LaneName } from '../config/schema.js';
import { PACKAGE_ROOT } from '../config/load.js';
import { DaemonUnavailableError, VocError } from '../errors.js';
import type { IngestSink } from '../ingest/sink.js';
import { DAEMON_CHUNKS_IN_FLIGHT } from '../ingest/window.js';
import { toWireRows, WIRE_FIELDS } from '../ingest/wire.js';
import type { InsertResult } from '../store/reviews.js';
import { isFinished, type DaemonClient, type Health, type JobView, type JobsView, type Stats } from './api.js';
import { homePaths } from './lifecycle.js';
import { prepareHome } from '../config/home.js';
import { sleep } from '../abort.js';

/** Nothing listens on the socket: there is no daemon. */
const ABSENT = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);
/** The connection broke mid-request: the daemon may well be alive (see `request`). */
const BROKEN = new Set(['ECONNRESET', 'EPIPE']);
const RETRY_DELAYS_MS = [50, 200, 500, 1000, 2000];

/**
 * One keep-alive agent per socket. Requests used to open a connection each and send `Connection: close`: the
 * daemon then closes as soon as it has answered, and a client whose event loop was busy (parsing the next chunk)
 * finished its write after that close and read EPIPE or ECONNRESET before the answer waiting in its buffer, so a
 * big ingest stopped half-way with "no daemon". On a kept connection the daemon answers and leaves it open.
 * Idle sockets are unref'd by the agent (the CLI still exits), and expire before the daemon's keepAliveTimeout.
 */
const agents = new Map<string, http.Agent>();
function agentFor(socketPath: string): http.Agent {
  let a = agents.get(socketPath);
  if (!a) agents.set(socketPath, (a = new http.Agent({ keepAlive: true, maxSockets: 8 })));
  return a;
}

class BrokenConnection extends Error {
  constructor(
    readonly code: string,
    readonly reused: boolean,
  ) {
    super(`the connection to the daemon broke (${code})`);
  }
}

function attempt(socketPath: string, method: string, route: string, payload: Buffer | undefined, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        agent: agentFor(socketPath),
        method,
        path: route,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', (err: NodeJS.ErrnoException) => reject(BROKEN.has(err.code ?? '') ? new BrokenConnection(err.code!, false) : err));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            return reject(new VocError('DAEMON_PROTOCOL', `the daemon answered ${res.statusCode} with something that is not JSON`));
          }
          if ((res.statusCode ?? 500) >= 400) {
            const e = (json as { error?: { code?: string; message?: string; hint?: string } })?.error;
            return reject(
              new VocError(e?.code ?? 'DAEMON_ERROR', e?.message ?? `the daemon answered ${res.statusCode}`, { hint: e?.hint }),
            );
          }
          resolve(json);
        });
      },
    );
    if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (ABSENT.has(code)) reject(new DaemonUnavailableError(`no daemon answers on ${socketPath}`));
      else if (BROKEN.has(code)) reject(new BrokenConnection(code, req.reusedSocket));
      else if (code === 'ETIMEDOUT')
        reject(new DaemonUnavailableError(`the daemon on ${socketPath} did not answer within ${timeoutMs} ms`));
      else reject(err);
    });
    req.end(payload);
  });
}

/** Whether anything accepts connections on the socket (the daemon may be busy; it is there). */
function listening(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * A request with the connection's failures sorted out. A kept connection the daemon closed meanwhile (it
 * restarted, or its idle timeout won the race) fails before anything was sent: always retried, as Node's docs
 * advise. A connection that breaks after the request went out is retried only when the request is idempotent (GETs,
 * and ingest chunks, which carry an id the daemon answers again from memory). "No daemon" is said only when
 * nothing listens on the socket; a daemon that is there but keeps breaking connections is reported as such.
 */
function request(
  socketPath: string,
  method: string,
  route: string,
  body?: unknown,
  o: { timeoutMs?: number; idempotent?: boolean } = {},
): Promise<unknown> {
  // serialised here, once, into bytes: the body's objects (an ingest chunk's rows) are garbage as soon as this
  // returns, and a retry sends the same bytes. (An async function would keep `body` alive until its answer.)
  return send(socketPath, method, route, body === undefined ? undefined : Buffer.from(JSON.stringify(body)), o);
}

async function send(
  socketPath: string,
  method: string,
  route: string,
  payload: Buffer | undefined,
  o: { timeoutMs?: number; idempotent?: boolean },
): Promise<unknown> {
  const idempotent = o.idempotent ?? method === 'GET';
  for (let i = 0; ; i++) {
    try {
      return await attempt(socketPath, method, route, payload, o.timeoutMs ?? 0);
    } catch (err) {
      if (!(err instanceof BrokenConnection)) throw err;
      const there = await listening(socketPath);
      if (!there) throw new DaemonUnavailableError(`no daemon answers on ${socketPath} (the connection broke: ${err.code})`);
      if ((!idempotent && !err.reused) || i >= RETRY_DELAYS_MS.length) {
        throw new VocError(
          'DAEMON_CONNECTION',
          `the daemon on ${socketPath} is running but the connection broke (${err.code}) during ${method} ${route}${i ? ` ${i + 1} times` : ''}`,
          {
            hint: 'see the daemon log (voc daemon status shows where it is)',
            exitCode: 2,
          },
        );
      }
      await sleep(err.reused ? 0 : RETRY_DELAYS_MS[i]);
    }
  }
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
      if (ABSENT.has(err.code ?? '') || BROKEN.has(err.code ?? ''))
        reject(new DaemonUnavailableError(`no daemon answers on ${socketPath}`));
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
    // a chunk carries its id: sent again after a broken connection, the daemon answers it from memory
    ingest: (chunk) =>
      request(
        socketPath,
        'POST',
        '/ingest',
        { ...chunk, fields: WIRE_FIELDS, rows: toWireRows(chunk.rows) },
        { idempotent: !!chunk.chunkId },
      ) as Promise<InsertResult>,
    submitJob: (req) => post<JobView>('/jobs', req),
    getJob: (id) => get<JobView>(`/jobs/${id}`),
    async followJob(id, onUpdate, signal) {
      let last: JobView | null = null;
      await stream(
        socketPath,
        `/jobs/${id}/stream`,
        (v) => {
          last = v as JobView;
          onUpdate(last);
        },
        signal,
      );
      if (last && isFinished((last as JobView).status)) return last;
      if (signal?.aborted) return last ?? get<JobView>(`/jobs/${id}`);
      // the stream ended early (daemon restarting): the row is the truth
      throw new DaemonUnavailableError(`the daemon went away while job ${id} was running; it resumes when the daemon restarts`);
    },
    cancelJob: (id) => post<JobView>(`/jobs/${id}/cancel`),
    jobs: () => get<JobsView>('/jobs'),
    pause: (lane: LaneName) => post(`/lanes/${lane}/pause`),
    resume: (lane: LaneName) => post(`/lanes/${lane}/resume`),
    shutdown: async () => {
      await post('/shutdown');
    },
  };
}

/** Start `voc daemon run --background-child` detached, its output appended to the home's log. */
/** A daemon process started in the background: its pid, whether it has ended, and where its log lines begin. */
interface SpawnedDaemon {
  pid: number;
  ended(): boolean;
  logOffset: number;
}

function spawnDaemon(config: Config, o: { configFile?: string; env?: NodeJS.ProcessEnv } = {}): SpawnedDaemon {
  prepareHome(config.home);
  const p = homePaths(config.home);
  const fd = openSync(p.log, 'a', 0o600);
  try {
    const logOffset = fstatSync(fd).size;
    const args = [path.join(PACKAGE_ROOT, 'bin', 'voc')];
    if (o.configFile) args.push('--config', o.configFile);
    args.push('daemon', 'run', '--background-child');
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...(o.env ?? process.env), VOC_HOME: config.home },
      cwd: config.home,
    });
    let ended = false;
    child.once('exit', () => (ended = true));
    child.unref();
    return { pid: child.pid ?? 0, ended: () => ended, logOffset };
  } finally {
    closeSync(fd);
  }
}

/** Poll /health until it answers, the deadline passes, or `starting()` says the process that would answer is gone. */
export async function waitForDaemon(socketPath: string, deadlineMs: number, starting: () => boolean = () => true): Promise<Health | null> {
  const end = Date.now() + deadlineMs;
  let delay = 25;
  while (Date.now() < end) {
    try {
      return (await request(socketPath, 'GET', '/health', undefined, { timeoutMs: 2000 })) as Health;
    } catch {
      if (!starting()) return null;
      await sleep(delay);
      delay = Math.min(250, delay * 2);
    }
  }
  return null;
}

/** The error a daemon that failed to start wrote (`voc: ...` and its `hint: ...`), from its log since `offset`. */
function startError(log: string, offset: number): { message: string; hint?: string } | null {
  let text: string;
  try {
    const buf = readFileSync(log);
    text = buf.subarray(Math.min(offset, buf.length)).toString('utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].startsWith('voc: ')) continue;
    const hint = lines[i + 1]?.startsWith('hint: ') ? lines[i + 1].slice('hint: '.length) : undefined;
    return { message: lines[i].slice('voc: '.length), hint };
  }
  return null;
}

/**
 * Start the home's daemon in the background and wait until it answers. A daemon that fails to start (a store it
 * cannot open, a bad config) is reported at once with the error it wrote to its log, instead of after the whole
 * wait; one that exits because another daemon won the race to start is waited for like any other.
 */
export async function startInBackground(config: Config, o: { configFile?: string; timeoutMs?: number } = {}): Promise<Health> {
  const p = homePaths(config.home);
  const child = spawnDaemon(config, { configFile: o.configFile });
  // what the child wrote when it ended, read once: another daemon running (that one will answer) or its error
  let why: ReturnType<typeof startError> | undefined;
  const starting = () => {
    if (!child.ended()) return true;
    why ??= startError(p.log, child.logOffset);
    return /a daemon already runs/.test(why?.message ?? '');
  };
  const health = await waitForDaemon(p.socket, o.timeoutMs ?? 20_000, starting);
  if (health) return health;
  if (child.ended()) why ??= startError(p.log, child.logOffset);
  if (why) throw new DaemonUnavailableError(`the daemon did not start: ${why.message}`, why.hint ?? `the whole log is ${p.log}`);
  throw new DaemonUnavailableError(
    child.ended()
      ? `the daemon did not start (see ${p.log})`
      : `the daemon did not answer within ${Math.round((o.timeoutMs ?? 20_000) / 1000)} s (see ${p.log})`,
    `read the last lines of ${p.log}`,
  );
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
    await request(p.socket, 'GET', '/health', undefined, { timeoutMs: 5000 });
    return client;
  } catch (err) {
    if (!(err instanceof DaemonUnavailableError)) throw err;
    if (!o.autostart) throw new DaemonUnavailableError(`no daemon is running for ${config.home}`);
  }
  const health = await startInBackground(config, { configFile: o.configFile, timeoutMs: o.startTimeoutMs });
  if (!o.quiet) process.stderr.write(`voc: started the daemon (pid ${health.pid}, log ${p.log})\n`);
  return client;
}

/**
 * The ingest sink that posts each chunk to the daemon's ingestion lane; resolves after the commit. Each chunk gets
 * an id unique to this run, so a chunk sent again after a broken connection is counted once.
 */
export function daemonSink(client: DaemonClient): IngestSink {
  const run = randomUUID();
  let seq = 0;
  return {
    inFlight: DAEMON_CHUNKS_IN_FLIGHT,
    write: (chunk) => client.ingest({ chunkId: `${run}:${++seq}`, file: chunk.file, rows: chunk.rows, products: chunk.products }),
    close: async () => {},
  };
}
