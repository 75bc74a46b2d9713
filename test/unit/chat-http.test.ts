import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { chatSender, ProviderConnectionError, ProviderHttpError, type AttemptOptions } from '../../src/llm/chat-http.js';
import { classify } from '../../src/llm/retry.js';
import { PriorityDispatcher } from '../../src/llm/throttle/dispatcher.js';
import type { PermitSource } from '../../src/llm/throttle/types.js';

const wiredAt: number[] = [];
const source: PermitSource = {
  kind: 'local',
  take: async () => ({ wired: (at) => wiredAt.push(at), release: () => {} }),
  rate: () => 25,
  on429: async () => null,
  healthy: () => true,
  close: () => {},
};

const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  created: 0,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }],
});

async function provider(handle: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) {
  const seen: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { base, seen };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  wiredAt.length = 0;
});

function sender(baseURL: string, timeoutMs = 1000) {
  const dispatcher = new PriorityDispatcher(source);
  const s = chatSender({ baseURL, apiKey: 'sk-test', timeoutMs, dispatcher });
  cleanups.push(() => {
    s.close();
    dispatcher.close();
  });
  return s;
}

const opts = (o: Partial<AttemptOptions> = {}): AttemptOptions => ({
  priority: 1,
  lane: 'translation',
  task: 'translate_batch',
  onStart: () => {},
  ...o,
});
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('chat over HTTP', () => {
  it('posts the body to <base>/chat/completions with the key and task headers, and parses the answer', async () => {
    const p = await provider((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER));
    const wire: number[] = [];
    const data = await sender(`${p.base}/v1/`).send('{"model":"m"}', opts({ onWire: (ms) => wire.push(ms) }));
    expect(data.choices[0].message.content).toBe('ok');
    expect(p.seen[0].url).toBe('/v1/chat/completions');
    expect(p.seen[0].body).toBe('{"model":"m"}');
    expect(p.seen[0].headers).toMatchObject({
      authorization: 'Bearer sk-test',
      'content-type': 'application/json',
      'x-voc-task': 'translate_batch',
    });
    // the permit learns the wire time once
    expect(wiredAt).toHaveLength(1);
    expect(wire).toHaveLength(1);
  });

  it("a finished attempt leaves no timer behind; a hung one times out as a retryable 'request timed out'", async () => {
    const p = await provider((req, res, body) => {
      if (body !== 'hang') res.writeHead(200).end(ANSWER);
    });
    const s = sender(p.base, 150);
    const before = timers();
    await s.send('x', opts());
    expect(timers()).toBe(before);
    const t0 = Date.now();
    const err = await s.send('hang', opts()).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(classify(err)).toMatchObject({ kind: 'retry', reason: 'request timed out' });
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it("the caller's signal cuts a request in flight, and the verdict is 'aborted'", async () => {
    const p = await provider(() => {});
    const ac = new AbortController();
    const pending = sender(p.base).send('x', opts({ signal: ac.signal }));
    setTimeout(() => ac.abort(new Error('daemon stopping')), 50);
    const err = await pending.catch((e: unknown) => e);
    expect((err as Error).message).toBe('daemon stopping');
    expect(classify(err, ac.signal)).toEqual({ kind: 'aborted' });
  });

  it("a non-2xx answer is an error with the provider's message and headers", async () => {
    const p = await provider((_q, res) =>
      res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' })
        .end(JSON.stringify({ error: { message: 'slow down' } })),
    );
    const err = await sender(p.base)
      .send('x', opts())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect((err as Error).message).toBe('429 slow down');
    expect(classify(err)).toMatchObject({ kind: 'retry', rateLimited: true, retryAfterMs: 2000 });
  });

  it('a connection refused or cut is a retryable connection error; an answer that is not JSON is retried too', async () => {
    const p = await provider((req, res, body) => {
      if (body === 'cut') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('{"id":');
        setTimeout(() => req.socket.destroy(), 20);
      } else res.writeHead(200).end('<html>bad gateway</html>');
    });
    const s = sender(p.base);
    const cut = await s.send('cut', opts()).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(ProviderConnectionError);
    expect(classify(cut)).toMatchObject({ kind: 'retry' });
    expect(classify(await s.send('html', opts()).catch((e: unknown) => e))).toMatchObject({ kind: 'retry', reason: /unreadable response/ });
    const refused = await sender('http://127.0.0.1:1/v1')
      .send('x', opts())
      .catch((e: unknown) => e);
    expect(classify(refused)).toMatchObject({ kind: 'retry', reason: /^connection error: / });
  });
});
