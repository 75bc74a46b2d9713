import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UnrecoverableError } from '../../src/errors.js';
import { SafeEmitter, type VocEvents } from '../../src/events.js';
import { createGateway } from '../../src/llm/gateway.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/db.js';
import { usageWriter } from '../../src/store/usage.js';
import { tempHome, testConfig } from '../helpers/home.js';

const KEY = 'sk-test-Zq81SECRETkeyDoNotPrint77';

type Step = (res: http.ServerResponse) => void;
const ok: Step = (res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      created: 0,
      model: 'qwen-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: '{"r1":"好"}' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    }),
  );
};
const status =
  (code: number, headers: Record<string, string> = {}, message = 'simulated failure'): Step =>
  (res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { message, type: 'error', code: String(code) } }));
  };
const hang: Step = () => {};

/** A provider that answers each request with the next scripted step and records when each one arrived. */
async function scriptedProvider(steps: Step[]) {
  const arrivals: Array<{ at: number; auth: string; task: string }> = [];
  const answeredAt: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    arrivals.push({ at: Date.now(), auth: String(req.headers.authorization ?? ''), task: String(req.headers['x-voc-task'] ?? '') });
    req.on('end', () => {
      const step = steps[Math.min(arrivals.length - 1, steps.length - 1)];
      res.on('finish', () => answeredAt.push(Date.now()));
      step(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    url,
    arrivals,
    answeredAt,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const home = tempHome('gwu');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(steps: Step[], overrides: Record<string, unknown> = {}) {
  const provider = await scriptedProvider(steps);
  const lines: string[] = [];
  const config = testConfig(home.home, {
    overrides: { 'llm.apiKey': KEY, 'llm.retryBaseMs': 20, 'llm.retryMaxMs': 200, 'llm.learningRetryBaseMs': 5, ...overrides },
  });
  const log = createLogger({ write: (l) => lines.push(l), level: 'debug' });
  const events = new SafeEmitter<VocEvents>();
  const eventLines: string[] = [];
  events.on('log:line', (e) => eventLines.push(e.text));
  const gw = createGateway({ config, log, redis: null, usage: null, events, baseUrl: provider.url });
  cleanups.push(
    () => provider.close(),
    () => gw.close(),
  );
  return { provider, gw, lines, eventLines };
}

const call = {
  lane: 'translation' as const,
  task: 'translate_batch' as const,
  json: true,
  messages: [{ role: 'user' as const, content: 'JSON please: {"r1":"good"}' }],
};

describe('gateway retries', () => {
  it('retries a 429 no sooner than retry-after-ms asks, and lowers the rate for everyone', async () => {
    const { provider, gw, eventLines } = await setup([status(429, { 'retry-after-ms': '400' }), ok]);
    const r = await gw.complete(call);
    expect(r.attempts).toBe(2);
    expect(provider.arrivals[1].at - provider.answeredAt[0]).toBeGreaterThanOrEqual(400);
    const s = gw.stats();
    expect(s.rejected429).toBe(1);
    expect(s.adaptiveRate).toBeLessThan(s.limit);
    expect(eventLines.some((l) => /^429 from provider, rate lowered to [\d.]+\/s$/.test(l))).toBe(true);
  });

  it('honours a Retry-After header in seconds', async () => {
    const { provider, gw } = await setup([status(429, { 'retry-after': '1' }), ok]);
    await gw.complete(call);
    expect(provider.arrivals[1].at - provider.answeredAt[0]).toBeGreaterThanOrEqual(1000);
  });

  it('retries a 500', async () => {
    const { provider, gw } = await setup([status(500), status(503), ok]);
    const r = await gw.complete(call);
    expect(r.attempts).toBe(3);
    expect(provider.arrivals).toHaveLength(3);
    expect(gw.stats().retries).toBe(2);
  });

  it('times out a hung request and retries it', async () => {
    const { provider, gw } = await setup([hang, ok], { 'llm.timeoutMs': 300 });
    const r = await gw.complete(call);
    expect(r.attempts).toBe(2);
    // the retry went out after the timeout: arrivals are stamped by the provider, whose event loop may stamp the
    // first one late on a loaded machine, so the gap seen there can be a little under the 300 ms the client waited
    expect(provider.arrivals[1].at - provider.arrivals[0].at).toBeGreaterThanOrEqual(250);
  });

  it('does not count time spent waiting for a permit against the request timeout', async () => {
    const { provider, gw } = await setup([ok], { 'llm.qps': 2, 'llm.windowMs': 1000, 'llm.marginMs': 0, 'llm.timeoutMs': 300 });
    const rs = await Promise.all(Array.from({ length: 4 }, () => gw.complete(call)));
    expect(rs.map((r) => r.attempts)).toEqual([1, 1, 1, 1]);
    expect(provider.arrivals[3].at - provider.arrivals[0].at).toBeGreaterThanOrEqual(1000);
  });

  it('fails at once with UnrecoverableError on a 400', async () => {
    const { provider, gw } = await setup([status(400, {}, 'bad request')]);
    await expect(gw.complete(call)).rejects.toBeInstanceOf(UnrecoverableError);
    expect(provider.arrivals).toHaveLength(1);
  });

  it('gives up after maxAttempts with the reason in the message', async () => {
    const { provider, gw } = await setup([status(502)], { 'llm.maxAttempts': 3 });
    await expect(gw.complete(call)).rejects.toThrow(/failed after 3 attempts: HTTP 502/);
    expect(provider.arrivals).toHaveLength(3);
    expect(gw.stats().failures).toBe(1);
  });

  it('never shows the API key in logs, errors or stats, even when the provider echoes it', async () => {
    const echo = (code: number) => status(code, {}, `Incorrect API key provided: ${KEY}`);
    const { provider, gw, lines } = await setup([echo(500), echo(401)]);
    const err = await gw.complete(call).catch((e: Error) => e);
    expect(provider.arrivals[0].auth).toBe(`Bearer ${KEY}`); // it was sent, as it must be
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/401/);
    expect((err as Error).message).not.toContain(KEY);
    expect(String((err as Error).stack)).not.toContain(KEY);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(KEY);
    expect(lines.join('\n')).toContain('***');
    expect(JSON.stringify(gw.stats())).not.toContain(KEY);
  });

  it('sends the task header and JSON mode, and counts tokens and cost', async () => {
    const { provider, gw } = await setup([ok]);
    const r = await gw.complete(call);
    expect(provider.arrivals[0].task).toBe('translate_batch');
    expect(r.usage).toEqual({ promptTokens: 10, completionTokens: 5 });
    expect(r.cost).toBeCloseTo((10 * 0.15 + 5 * 1.5) / 1e6, 12);
    expect(gw.stats().tokensLastMinute).toBe(15);
    expect(gw.stats().currency).toBe('CNY');
  });

  it('writes one llm_usage row per call with lane, product, job and ingest file, flushed on close', async () => {
    const provider = await scriptedProvider([ok]);
    const config = testConfig(home.home, { overrides: { 'llm.apiKey': KEY } });
    const store = await openStore(config);
    const gw = createGateway({
      config,
      log: createLogger({ write: () => {} }),
      redis: null,
      usage: usageWriter(store),
      baseUrl: provider.url,
    });
    try {
      for (let i = 0; i < 3; i++) await gw.complete({ ...call, productId: 'B00X', jobId: 7, ingestFile: 'reviews.csv', items: 1 });
      await gw.close();
      const rows = await store.knex('llm_usage').select();
      expect(rows).toHaveLength(3);
      expect(rows[0]).toMatchObject({
        lane: 'translation',
        product_id: 'B00X',
        job_id: 7,
        ingest_file: 'reviews.csv',
        prompt_tokens: 10,
        completion_tokens: 5,
        status: 'ok',
      });
      expect(rows[0].cost).toBeGreaterThan(0);
    } finally {
      await store.close();
      await provider.close();
    }
  });
});
