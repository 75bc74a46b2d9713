import http from 'node:http';
import { chmodSync, statSync } from 'node:fs';
import type { Logger } from '../log.js';
import { errorMessage, StoppingError, VocError } from '../errors.js';

/** A 4xx/5xx with a code, answered as `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface RequestInfo {
  params: Record<string, string>;
  body: unknown;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** aborted when the client goes away or the server closes */
  signal: AbortSignal;
}

/** A handler returns the JSON answer, or `undefined` when it wrote the response itself (streams). */
export type Handler = (r: RequestInfo) => Promise<unknown> | unknown;
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handler: Handler;
}

interface Compiled extends Route {
  re: RegExp;
  keys: string[];
}

function compile(r: Route): Compiled {
  const keys: string[] = [];
  const re = new RegExp('^' + r.path.replace(/:(\w+)/g, (_m, k: string) => (keys.push(k), '([^/]+)')) + '/?$');
  return { ...r, re, keys };
}

async function readBody(req: http.IncomingMessage, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw new HttpError(413, 'TOO_LARGE', `request body over ${max} bytes`);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new HttpError(413, 'TOO_LARGE', `request body over ${max} bytes`);
    parts.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'BAD_JSON', `malformed JSON: ${errorMessage(err)}`);
  }
}

function send(res: http.ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(value ?? null);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The socket's own check on who may talk: Node cannot read the peer's credentials (SO_PEERCRED), so we rely on
 * the kernel enforcing the socket file's mode on connect() and refuse to serve if that file no longer is ours
 * and private (someone chmod-ed it, or replaced it). A process of the same uid can always connect; that is the
 * documented limit.
 */
function socketStillPrivate(socketPath: string): boolean {
  try {
    const st = statSync(socketPath);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    return st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

export interface SocketServer {
  close(): Promise<void>;
}

export async function listenSocket(o: {
  socketPath: string;
  routes: Route[];
  maxRequestBytes: number;
  log: Logger;
}): Promise<SocketServer> {
  const routes = o.routes.map(compile);
  const closing = new AbortController();
  const server = http.createServer((req, res) => {
    const ac = new AbortController();
    const abort = () => ac.abort();
    res.on('close', abort);
    closing.signal.addEventListener('abort', abort, { once: true });
    res.on('close', () => closing.signal.removeEventListener('abort', abort));
    void handle(req, res, ac.signal);
  });
  server.keepAliveTimeout = 5000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, signal: AbortSignal): Promise<void> {
    try {
      if (!socketStillPrivate(o.socketPath))
        throw new HttpError(403, 'FORBIDDEN', 'the daemon socket is not private to its owner any more');
      const url = new URL(req.url ?? '/', 'http://voc');
      const candidates = routes.filter((r) => r.re.test(url.pathname));
      if (!candidates.length) throw new HttpError(404, 'NOT_FOUND', `no route ${url.pathname}`);
      const route = candidates.find((r) => r.method === req.method);
      if (!route) throw new HttpError(405, 'METHOD', `${req.method} not allowed on ${url.pathname}`);
      const m = route.re.exec(url.pathname)!;
      const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
      const body = req.method === 'POST' ? await readBody(req, o.maxRequestBytes) : {};
      const out = await route.handler({ params, body, req, res, signal });
      if (out !== undefined) send(res, 200, out);
    } catch (err) {
      let status = 500;
      let code = 'INTERNAL';
      let hint: string | undefined;
      if (err instanceof HttpError) ({ status, code } = err);
      // work refused or cut short by shutdown: the client may try again once a daemon is up
      else if (err instanceof StoppingError) {
        code = err.code;
        status = 503;
      } else if (err instanceof VocError) {
        code = err.code;
        hint = err.hint;
        status = code === 'NOT_FOUND' ? 404 : 400;
      }
      if (status >= 500) o.log.error('request_failed', { url: req.url, error: errorMessage(err) });
      if (status === 413) res.setHeader('connection', 'close');
      send(res, status, { error: { code, message: errorMessage(err), ...(hint ? { hint } : {}) } });
      // drain what is left of an oversized body without keeping it
      if (!req.complete) req.resume();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(o.socketPath, 0o600);
  server.on('error', (err) => o.log.error('socket_error', { error: errorMessage(err) }));

  let closed: Promise<void> | null = null;
  return {
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/**
 * Write NDJSON frames until the signal aborts; `next` returns the next frame, or null to end. Between frames it
 * waits intervalMs, or less when `o.wake` calls back first (an event says the next frame has news); a frame that
 * `o.last` says is final ends the stream at once.
 */
export async function streamNdjson(
  r: RequestInfo,
  intervalMs: number,
  next: () => Promise<unknown | null>,
  o: { wake?: (now: () => void) => () => void; last?: (frame: unknown) => boolean } = {},
): Promise<undefined> {
  r.res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  let woken = false;
  let poke: (() => void) | null = null;
  const off = o.wake?.(() => {
    woken = true;
    poke?.();
  });
  try {
    while (!r.signal.aborted) {
      woken = false;
      const frame = await next();
      if (frame === null) break;
      // a slow reader: wait for the buffer to drain rather than pile frames up
      if (!r.res.write(JSON.stringify(frame) + '\n')) await until(r.signal, (done) => r.res.once('drain', done));
      if (r.signal.aborted || o.last?.(frame)) break;
      if (woken) continue; // news arrived while this frame was built
      await until(r.signal, (done) => {
        const t = setTimeout(done, intervalMs);
        poke = () => (clearTimeout(t), done());
      });
      poke = null;
    }
  } finally {
    off?.();
  }
  r.res.end();
  return undefined;
}

/** Wait for `start`'s callback or the signal, removing the abort listener either way. */
function until(signal: AbortSignal, start: (done: () => void) => unknown): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    start(done);
  });
}
