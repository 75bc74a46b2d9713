import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/log.js';
import { tempHome, testConfig } from '../helpers/home.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function post(socketPath: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'POST', path: '/ingest', headers: { 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      let out = '';
      res.on('data', (d: string) => (out += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('compact chunk rows on the daemon socket', () => {
  it('names only the row fields: any other name (__proto__ included) is a 400 that stores nothing', async () => {
    const h = tempHome('iw');
    cleanups.push(() => h.cleanup());
    const d = await startDaemon(testConfig(h.home, { overrides: { 'beat.checkPendingTranslations': false } }), {
      log: silentLogger,
      services: () => [],
    });
    cleanups.push(() => d.close());
    for (const fields of [['__proto__', 'body'], ['body', 'constructor'], 'body']) {
      const res = await post(d.socketPath, { file: 'x.csv', fields, rows: [[{ polluted: true }, 'a body']] });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.message).toMatch(/fields must be an array of field names/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await d.ctx.store.knex('reviews').count({ n: '*' }).first()).toMatchObject({ n: 0 });
  });
});
