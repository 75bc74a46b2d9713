import http from 'node:http';
import https from 'node:https';
import type OpenAI from 'openai';
import { onAbort } from '../abort.js';
import type { LlmLane } from '../config/schema.js';
import type { PriorityDispatcher } from './throttle/dispatcher.js';

/**
 * The realtime chat call on the wire: one JSON POST to `<baseURL>/chat/completions` over node:http keep-alive
 * agents, the answer read whole and parsed once. The OpenAI SDK (still used for the Batch API's files and batches)
 * builds headers, log details, a Response, web streams and two abort controllers for every request; at 200 calls/s
 * that was a fifth of the daemon's CPU, more than the rest of a call's path. What it did that matters is kept:
 * the same request body and headers a provider needs, a non-2xx answer as an error with the provider's message and
 * headers (Retry-After), a connection failure and a timeout told apart.
 */
export type ChatCompletion = OpenAI.Chat.ChatCompletion;

/** An answer that is not 2xx: its status, the provider's message and headers. */
export class ProviderHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    private readonly headers: http.IncomingHttpHeaders,
  ) {
    super(`${status} ${message}`);
    this.name = 'ProviderHttpError';
  }

  header(name: string): string | null {
    const v = this.headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? (v[0] ?? null) : v;
  }
}

/** The request got no complete answer: refused, reset, or cut mid-answer. */
export class ProviderConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderConnectionError';
  }
}

/** The attempt ran past its timeout, which starts once the permit is granted. */
export class ProviderTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** What one attempt needs besides the body. */
export interface AttemptOptions {
  priority: number;
  lane: LlmLane;
  /** the `x-voc-task` header (real endpoints ignore it; the simulator answers by it) */
  task: string;
  /** the caller's signal: aborting it cuts the wait for a permit and the request at any point */
  signal?: AbortSignal | null;
  /** called the moment the permit is granted, right before the request goes out */
  onStart(): void;
  /** called when the request was written to the socket, with the ms since its permit */
  onWire?(delayMs: number): void;
}

/** The provider's error message in an error body (`{"error": {"message": ...}}`, or a bare message), else a note. */
function providerMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof m === 'string' && m) return m;
  } catch {
    // not JSON: the text itself
  }
  return text.trim() ? text.trim().slice(0, 500) : 'status code (no body)';
}

export interface ChatSender {
  /**
   * Take a permit from the dispatcher, send one attempt, and resolve to the parsed answer. The permit's window
   * counts the request from its wire time (what the provider counts); a request that fails before it reached the
   * wire counts from the moment it failed, a time it surely was not sent after.
   */
  send(body: string, o: AttemptOptions): Promise<ChatCompletion>;
  /** closes the idle keep-alive sockets */
  close(): void;
}

type Answer = { status: number; headers: http.IncomingHttpHeaders; text: string };

export function chatSender(o: { baseURL: string; apiKey: string; timeoutMs: number; dispatcher: PriorityDispatcher }): ChatSender {
  const url = new URL(o.baseURL);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
  const agent = lib ? new lib.Agent({ keepAlive: true }) : null;
  const auth = `Bearer ${o.apiKey}`;

  function post(payload: string, a: AttemptOptions, written: () => void): Promise<Answer> {
    return new Promise((resolve, reject) => {
      if (!lib || !agent) return reject(new ProviderConnectionError(`unsupported protocol ${url.protocol}`));
      if (a.signal?.aborted) return reject(a.signal.reason);
      const req = lib.request(url, {
        method: 'POST',
        agent,
        headers: {
          authorization: auth,
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(payload),
          'user-agent': 'voc',
          'x-voc-task': a.task,
        },
      });
      let settled = false;
      const finish = (err: unknown, answer?: Answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        release();
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(answer!);
      };
      // one timer and one registration on the caller's signal, both gone the moment the attempt settles: a
      // finished request leaves nothing behind that would hold it until the timeout
      const timer = setTimeout(() => finish(new ProviderTimeoutError(o.timeoutMs)), o.timeoutMs);
      timer.unref();
      const signal = a.signal;
      const release = signal ? onAbort(signal, () => finish(signal.reason ?? new DOMException('aborted', 'AbortError'))) : () => {};
      req.on('error', (err) => finish(new ProviderConnectionError(err.message, { cause: err })));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => finish(new ProviderConnectionError(err.message, { cause: err })));
        res.on('end', () =>
          finish(null, { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        // after 'end' this is a no-op (an error is costly to build: its stack is captured)
        res.on('close', () => settled || finish(new ProviderConnectionError('the answer was cut off')));
      });
      req.end(payload, written);
    });
  }

  async function send(body: string, a: AttemptOptions): Promise<ChatCompletion> {
    const permit = await o.dispatcher.acquire(a.priority, a.lane, a.signal);
    const grantedAt = Date.now();
    let sent = false;
    const wired = () => {
      if (sent) return;
      sent = true;
      const at = Date.now();
      permit.wired(at);
      a.onWire?.(at - grantedAt);
    };
    a.onStart();
    try {
      const { status, headers, text } = await post(body, a, wired);
      if (status < 200 || status >= 300) throw new ProviderHttpError(status, providerMessage(text), headers);
      return JSON.parse(text) as ChatCompletion;
    } finally {
      wired();
    }
  }

  return { send, close: () => agent?.destroy() };
}
