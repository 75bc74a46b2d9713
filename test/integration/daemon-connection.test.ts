import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import path from 'node:path';
import { tempHome, testConfig } from '../helpers/home.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { clientFor, connectDaemon } from '../../src/daemon/client.js';
import { unavailableGateway } from '../../src/daemon/gateway.js';
import { testServices } from '../helpers/sleep-service.mjs';
import { silentLogger } from '../../src/log.js';
import { StoppingError, VocError } from '../../src/errors.js';
import { listenSocket } from '../../src/daemon/server.js';
import { closedError } from '../../src/llm/throttle/types.js';
import { countReviews, type NewReview } from '../../src/store/reviews.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function review(i: number): NewReview {
  const body = `review number ${i} is fine and long enough to count`;
  return {
    sourceKey: `test:P1:${i}`,
    reviewId: String(i),
    productId: 'P1',
    marketplace: null,
    rating: 4,
    title: null,
    body,
    bodyHash: `h${i}`,
    reviewDate: null,
    author: null,
    language: 'en',
    class: 'standard',
    bodyLen: body.length,
  };
}

/** A stand-in daemon on a unix socket: `onPost` decides, per attempt, to cut the connection mid-body (called with
 * null while the body arrives) or what to answer (called with the whole body). */
async function fakeDaemon(onPost: (n: number, body: Buffer | null) => 'cut' | unknown): Promise<{ socket: string; posts: () => number }> {
  const h = tempHome('fk');
  const socket = path.join(h.home, 'voc.sock');
  let posts = 0;
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') return res.end('{}');
    const n = ++posts;
    const parts: Buffer[] = [];
    let cut = false;
    req.on('data', (c: Buffer) => {
      parts.push(c);
      // cut after the first bytes of the body, as a reset mid-request would
      if (!cut && onPost(n, null) === 'cut') {
        cut = true;
        req.socket.destroy();
      }
    });
    req.on('end', () => {
      if (cut) return;
      const out = onPost(n, Buffer.concat(parts));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  cleanups.push(() => h.cleanup());
  cleanups.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { socket, posts: () => posts };
}

const answer = { inserted: 2, duplicates: 0, conflicts: [], newProducts: [] };

describe('the CLI talking to the daemon', () => {
  it('sends an ingest chunk again when its connection is reset mid-body, with the same chunk id', async () => {
    const ids: string[] = [];
    const fake = await fakeDaemon((n, body) => {
      if (n === 1) return 'cut';
      if (body) ids.push(JSON.parse(body.toString()).chunkId);
      return answer;
    });
    const res = await clientFor(fake.socket).ingest({ chunkId: 'run:1', file: 'a.csv', rows: [review(1), review(2)] });
    expect(res).toEqual(answer);
    expect(fake.posts()).toBe(2);
    expect(ids).toEqual(['run:1']);
  });

  it('a daemon that is there but keeps breaking connections is not reported as "no daemon"', async () => {
    const fake = await fakeDaemon(() => 'cut');
    const err = await clientFor(fake.socket)
      .ingest({ chunkId: 'run:1', file: 'a.csv', rows: [review(1)] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VocError);
    expect((err as VocError).code).toBe('DAEMON_CONNECTION');
    expect((err as VocError).message).toMatch(/is running but the connection broke \((ECONNRESET|EPIPE)\)/);
    expect(fake.posts()).toBe(6); // first try and five retries
  });

  it('a request that is not idempotent is not sent twice after a reset', async () => {
    const fake = await fakeDaemon(() => 'cut');
    const err = await clientFor(fake.socket)
      .submitJob({ kind: 'learn', productId: 'P1' })
      .catch((e: unknown) => e);
    expect((err as VocError).code).toBe('DAEMON_CONNECTION');
    expect(fake.posts()).toBe(1);
  });

  it('says "no daemon" when nothing listens on the socket', async () => {
    const h = tempHome('nd');
    cleanups.push(() => h.cleanup());
    const err = await clientFor(path.join(h.home, 'voc.sock'))
      .health()
      .catch((e: unknown) => e);
    expect((err as VocError).code).toBe('DAEMON_UNAVAILABLE');
    expect((err as VocError).message).toMatch(/no daemon answers on/);
  });

  it('the daemon answers a chunk sent twice from memory: its rows are inserted once and counted once', async () => {
    const h = tempHome('cc');
    const config = testConfig(h.home);
    const d = await startDaemon(config, {
      log: silentLogger,
      gatewayFactory: () => unavailableGateway(config, 'test'),
      services: (ctx) => testServices(ctx, 'sleep'),
    });
    cleanups.push(() => h.cleanup());
    cleanups.push(() => d.close());
    const client = await connectDaemon(config, { autostart: false });
    const chunk = { chunkId: 'run-a:1', file: 'a.csv', rows: [review(1), review(2), review(3)] };
    const [first, again] = await Promise.all([client.ingest(chunk), client.ingest(chunk)]);
    expect(first).toMatchObject({ inserted: 3, duplicates: 0 });
    expect(again).toEqual(first);
    expect(await client.ingest(chunk)).toEqual(first);
    // another chunk id with the same rows is a real re-ingest: duplicates
    expect(await client.ingest({ ...chunk, chunkId: 'run-b:1' })).toMatchObject({ inserted: 0, duplicates: 3 });
    expect(await countReviews(d.ctx.store)).toBe(3);
  });

  it('many chunks in flight from a busy client all arrive, each counted once', async () => {
    const h = tempHome('kf');
    const config = testConfig(h.home);
    const d = await startDaemon(config, {
      log: silentLogger,
      gatewayFactory: () => unavailableGateway(config, 'test'),
      services: (ctx) => testServices(ctx, 'sleep'),
    });
    cleanups.push(() => h.cleanup());
    cleanups.push(() => d.close());
    const client = await connectDaemon(config, { autostart: false });
    const big = 'x'.repeat(2000);
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, c) => {
        const rows = Array.from({ length: 200 }, (_, i) => ({ ...review(c * 1000 + i), body: big + c + ':' + i }));
        // keep this process's event loop busy while the writes are in flight, as parsing the next chunk does
        const t = Date.now();
        while (Date.now() - t < 20) {
          /* busy */
        }
        return client.ingest({ chunkId: `run-k:${c}`, file: 'k.csv', rows });
      }),
    );
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(24 * 200);
    expect(await countReviews(d.ctx.store)).toBe(24 * 200);
  });

  it("a follower hears of the job's end when it ends, not at the next stream interval", async () => {
    const h = tempHome('fw');
    // an interval no test would wait out: only the job's own event can end the stream in time
    const config = testConfig(h.home, { overrides: { 'daemon.statsIntervalMs': 600_000 } });
    const d = await startDaemon(config, {
      log: silentLogger,
      gatewayFactory: () => unavailableGateway(config, 'test'),
      services: (ctx) => testServices(ctx, 'sleep'),
    });
    cleanups.push(() => h.cleanup());
    cleanups.push(() => d.close());
    const client = await connectDaemon(config, { autostart: false });
    const job = await client.submitJob({ kind: 'sleep' as never, params: { steps: 2, ms: 50 } });
    const final = await client.followJob(job.id, () => {});
    expect(final.status).toBe('done');
  });

  it('work refused by a stop answers 503 STOPPING on any route, whoever stopped; another user error stays a 400', async () => {
    const h = tempHome('st');
    cleanups.push(() => h.cleanup());
    const socketPath = path.join(h.home, 'voc.sock');
    const server = await listenSocket({
      socketPath,
      maxRequestBytes: 1024,
      log: silentLogger,
      routes: [
        { method: 'GET', path: '/lanes', handler: () => Promise.reject(new StoppingError()) },
        { method: 'GET', path: '/gateway', handler: () => Promise.reject(closedError()) },
        { method: 'GET', path: '/bad', handler: () => Promise.reject(new VocError('BAD_THING', 'no')) },
      ],
    });
    cleanups.push(() => server.close());
    const get = (p: string) =>
      new Promise<{ status: number; body: { error: { code: string } } }>((resolve, reject) => {
        http
          .get({ socketPath, path: p }, (res) => {
            const parts: Buffer[] = [];
            res.on('data', (c: Buffer) => parts.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()) }));
          })
          .on('error', reject);
      });
    for (const p of ['/lanes', '/gateway']) expect(await get(p)).toMatchObject({ status: 503, body: { error: { code: 'STOPPING' } } });
    expect(await get('/bad')).toMatchObject({ status: 400, body: { error: { code: 'BAD_THING' } } });
  });
});
