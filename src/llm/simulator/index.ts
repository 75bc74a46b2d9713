import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ChatMessage, TaskName } from '../types.js';
import { answerFor, dropOneKey, guessTask, isTask } from './answers.js';
import { createBatchApi, type BatchSimOptions, type BatchSimStats } from './batch.js';

/**
 * An OpenAI-compatible endpoint of our own for tests, benchmarks and the demo. It enforces its own requests-per-
 * second limit with 429s as a strict provider does (every arrival counts, a request answered 429 included), adds
 * seeded latency and injects faults on demand. Every answer says it is simulated.
 */
export interface SimulatorOptions {
  port?: number;
  host?: string;
  limit?: number;
  latencyMs?: number;
  malformedRate?: number;
  dropKeyRate?: number;
  errorRate?: number;
  hangRate?: number;
  seed?: number;
  /** keys it accepts (Bearer); any other is answered 401 as DashScope does. Unset: every key is accepted */
  apiKeys?: string[];
  /** models it lists on GET /models and accepts; another is answered 404 model_not_found. Unset: any model */
  models?: string[];
  /** models that refuse JSON mode (response_format json_object) with a 400 */
  noJsonModels?: string[];
  /** the Batch API's behaviour: completion delay, faults, expiry, limits */
  batch?: BatchSimOptions;
}

export interface SimStats {
  requests: number;
  accepted: number;
  rejected429: number;
  errors500: number;
  malformed: number;
  droppedKeys: number;
  hangs: number;
  /** max requests accepted in any trailing 1000 ms window, measured on arrival */
  maxInWindow: number;
  /** max requests that arrived in any trailing 1000 ms window, 429s included: what a strict provider counts */
  max_arrivals_in_1s: number;
  byTask: Record<string, number>;
  limit: number;
  /**
   * how late the simulator's own event loop ran (p99 and max, ms): arrival times are read when the request event
   * runs, so a simulator starved of CPU stamps arrivals late and bunches them, which a provider on its own machine
   * does not
   */
  loopDelayMs?: { p99: number; max: number };
  /** the Batch API: uploads, batches, lines by task (lines never count as requests above) */
  batch?: BatchSimStats;
}

export interface Arrival {
  at: number;
  task: string;
  status: number;
}

export interface Simulator {
  url: string;
  stats(): SimStats;
  /** arrivals in order (the last 20000), for tests that check order and spacing by task */
  arrivals(): Arrival[];
  reset(): void;
  close(): Promise<void>;
  setLimit(n: number): void;
}

const WINDOW_MS = 1000;
const MAX_ARRIVALS = 20000;

/** mulberry32: a tiny seeded generator, so a fault pattern repeats with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const emptyStats = (limit: number): SimStats => ({
  requests: 0,
  accepted: 0,
  rejected429: 0,
  errors500: 0,
  malformed: 0,
  droppedKeys: 0,
  hangs: 0,
  maxInWindow: 0,
  max_arrivals_in_1s: 0,
  byTask: {},
  limit,
});

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

const apiError = (message: string, type: string, code: string) => ({ error: { message, type, code } });

const approxTokens = (text: string) => Math.max(1, Math.ceil(text.length / 3));

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  let limit = opts.limit ?? 25;
  const latencyMs = opts.latencyMs ?? 800;
  const rates = {
    malformed: opts.malformedRate ?? 0,
    dropKey: opts.dropKeyRate ?? 0,
    error: opts.errorRate ?? 0,
    hang: opts.hangRate ?? 0,
  };
  let rand = seededRandom(opts.seed ?? 1);
  let stats = emptyStats(limit);
  let accepted: number[] = []; // arrival times of accepted requests in the trailing window
  let recent: number[] = []; // arrival times of every request in the trailing window, 429s included
  let arrivals: Arrival[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  /**
   * Counts the request on arrival, as a strict provider does: a request is refused when `limit` requests (refused
   * ones included) arrived in the trailing window, so a client that keeps knocking stays refused.
   */
  const admit = (now: number): { ok: true } | { ok: false; retryAfterMs: number } => {
    while (recent.length && recent[0] <= now - WINDOW_MS) recent.shift();
    while (accepted.length && accepted[0] <= now - WINDOW_MS) accepted.shift();
    const over = recent.length >= limit;
    const retryAfterMs = over ? Math.max(1, Math.ceil(recent[recent.length - Math.ceil(limit)] + WINDOW_MS - now)) : 0;
    recent.push(now);
    stats.max_arrivals_in_1s = Math.max(stats.max_arrivals_in_1s, recent.length);
    if (over) return { ok: false, retryAfterMs };
    accepted.push(now);
    stats.maxInWindow = Math.max(stats.maxInWindow, accepted.length);
    return { ok: true };
  };

  const DEFAULT_MODELS = ['qwen-flash', 'qwen-turbo', 'qwen-plus'];
  /** 401 unless the request carries an accepted key (DashScope answers the same for a wrong key and a wrong region) */
  const keyRefused = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (!opts.apiKeys) return false;
    const auth = String(req.headers.authorization ?? '');
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (opts.apiKeys.includes(key)) return false;
    send(res, 401, apiError('Incorrect API key provided. ', 'invalid_request_error', 'invalid_api_key'));
    return true;
  };
  const modelMissing = (model: string, res: http.ServerResponse): boolean => {
    if (!opts.models || opts.models.includes(model)) return false;
    send(
      res,
      404,
      apiError(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'),
    );
    return true;
  };

  const chat = (req: http.IncomingMessage, res: http.ServerResponse, arrivedAt: number) => {
    const header = req.headers['x-voc-task'];
    const arrival: Arrival = { at: arrivedAt, task: isTask(header) ? header : 'unknown', status: 0 };
    if (arrivals.length >= MAX_ARRIVALS) arrivals = arrivals.slice(-MAX_ARRIVALS / 2);
    arrivals.push(arrival);
    stats.requests++;
    const gate = admit(arrivedAt);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { model?: string; messages?: ChatMessage[]; response_format?: { type?: string } };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        arrival.status = 400;
        return send(res, 400, apiError('request body is not JSON', 'invalid_request_error', 'invalid_body'));
      }
      if (keyRefused(req, res)) return void (arrival.status = 401);
      if (modelMissing(String(body.model ?? ''), res)) return void (arrival.status = 404);
      const messages = Array.isArray(body.messages) ? body.messages : [];
      const task: TaskName = isTask(header) ? header : guessTask(messages);
      arrival.task = task;
      stats.byTask[task] = (stats.byTask[task] ?? 0) + 1;
      if (!gate.ok) {
        stats.rejected429++;
        arrival.status = 429;
        return send(res, 429, apiError('Requests rate limit exceeded (simulated)', 'limit_requests', 'Throttling.RateQuota'), {
          'retry-after-ms': String(gate.retryAfterMs),
        });
      }
      stats.accepted++;
      if (body.response_format?.type === 'json_object' && opts.noJsonModels?.includes(String(body.model))) {
        arrival.status = 400;
        return send(
          res,
          400,
          apiError(
            `The model \`${body.model}\` does not support response_format json_object.`,
            'invalid_request_error',
            'invalid_parameter_error',
          ),
        );
      }
      // JSON mode like DashScope: the prompt must mention JSON
      if (body.response_format?.type === 'json_object' && !messages.some((m) => /json/i.test(String(m?.content ?? '')))) {
        arrival.status = 400;
        return send(
          res,
          400,
          apiError(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            'invalid_request_error',
            'invalid_parameter_error',
          ),
        );
      }
      const delay = Math.max(0, Math.round(latencyMs * (0.75 + 0.5 * rand())));
      const roll = rand();
      if (roll < rates.hang) {
        stats.hangs++;
        arrival.status = -1;
        return; // never answered: the client's timeout must fire; close() destroys the socket
      }
      if (roll < rates.hang + rates.error) {
        stats.errors500++;
        arrival.status = 500;
        return later(delay, () => send(res, 500, apiError('Internal server error (simulated)', 'internal_error', 'InternalError')));
      }
      const model = String(body.model ?? 'qwen-flash');
      const answer = answerFor(task, messages);
      const keyed = answer.keyed;
      let content = answer.content;
      // a caller that is not one of voc's prompts (voc doctor --call) asking for JSON mode gets JSON, as from a real model
      if (!isTask(header) && task === 'translate_single' && body.response_format?.type === 'json_object')
        content = JSON.stringify({ ok: true, text: content });
      const fault = rand();
      // "not JSON" is a fault of the JSON answers only: the plain-text answer (translate_single) has no form to
      // break, and a chatty half of it could not be told from a translation by any client
      if (fault < rates.malformed && task !== 'translate_single') {
        stats.malformed++;
        content = `Sure! Here is the answer: ${content.slice(0, Math.max(1, Math.floor(content.length / 2)))}`;
      } else if (keyed && fault < rates.malformed + rates.dropKey) {
        stats.droppedKeys++;
        content = dropOneKey(content);
      }
      const promptTokens = approxTokens(messages.map((m) => String(m?.content ?? '')).join('\n'));
      const completionTokens = approxTokens(content);
      arrival.status = 200;
      later(delay, () =>
        send(res, 200, {
          id: `chatcmpl-sim-${stats.requests}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: `${model}-simulated`,
          system_fingerprint: 'voc-simulator',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        }),
      );
    });
  };

  const batchApi = createBatchApi(opts.batch ?? {}, seededRandom((opts.seed ?? 1) + 7), send);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const allStats = (): SimStats => ({
    ...stats,
    byTask: { ...stats.byTask },
    loopDelayMs: { p99: Math.round(loopDelay.percentile(99) / 1e6), max: Math.round(loopDelay.max / 1e6) },
    batch: batchApi.stats(),
  });

  const server = http.createServer((req, res) => {
    const arrivedAt = Date.now();
    // DashScope serves the OpenAI-compatible routes under /compatible-mode/v1
    const url = (req.url ?? '/').split('?')[0].replace(/^\/compatible-mode(?=\/v1\/)/, '');
    if (req.method === 'POST' && url === '/v1/chat/completions') return chat(req, res, arrivedAt);
    if (/^\/v1\/(files|batches)(\/|$)/.test(url)) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!batchApi.handle(req, url, Buffer.concat(chunks), res))
          send(res, 404, apiError(`no route ${req.method} ${url}`, 'invalid_request_error', 'not_found'));
      });
      return;
    }
    req.resume();
    if (req.method === 'GET' && url === '/stats') return send(res, 200, allStats());
    if (req.method === 'GET' && url === '/arrivals') return send(res, 200, arrivals);
    if (req.method === 'POST' && url === '/stats/reset') {
      handle.reset();
      return send(res, 200, { ok: true });
    }
    if (req.method === 'POST' && url === '/limit') {
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'));
      if (Number.isFinite(n) && n > 0) handle.setLimit(n);
      return send(res, 200, { ok: true, limit });
    }
    if (req.method === 'GET' && url === '/v1/models') {
      if (keyRefused(req, res)) return;
      return send(res, 200, {
        object: 'list',
        data: (opts.models ?? DEFAULT_MODELS).map((id) => ({ id, object: 'model', owned_by: 'voc-simulator' })),
      });
    }
    send(res, 404, apiError(`no route ${req.method} ${url}`, 'invalid_request_error', 'not_found'));
  });
  server.keepAliveTimeout = 30000;
  server.on('connection', (s: Socket) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  let closed: Promise<void> | null = null;

  const handle: Simulator = {
    url: `http://${addr.address}:${addr.port}/v1`,
    stats: allStats,
    arrivals: () => arrivals.slice(),
    reset: () => {
      stats = emptyStats(limit);
      loopDelay.reset();
      batchApi.reset();
      accepted = [];
      recent = [];
      arrivals = [];
      rand = seededRandom(opts.seed ?? 1);
    },
    setLimit: (n: number) => {
      limit = n;
      stats.limit = n;
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        loopDelay.disable();
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        // hung requests never end by themselves
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
  return handle;
}
