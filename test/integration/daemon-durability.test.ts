import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { DATABASES } from '../helpers/databases.js';
import { pgTestUrl } from '../helpers/services.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { clientFor } from '../../src/daemon/client.js';
import { unavailableGateway } from '../../src/daemon/gateway.js';
import { testServices } from '../helpers/sleep-service.mjs';
import { silentLogger } from '../../src/log.js';
import type { Config } from '../../src/config/schema.js';
import type { JobView } from '../../src/daemon/api.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(fn: () => Promise<T | null | false>, ms = 15000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(DATABASES)('daemon durability on %s', (db) => {
  async function setup(): Promise<{ config: Config; start: () => Promise<Daemon> }> {
    const h = tempHome('du');
    const pgu = db === 'pg' ? pgTestUrl('du') : null;
    cleanups.push(async () => {
      h.cleanup();
      await pgu?.drop();
    });
    const config = testConfig(h.home, {
      databaseUrl: pgu?.url ?? null,
      overrides: {
        'pools.trans.jitterMs': [0, 0],
        'daemon.heartbeatMs': 200,
        'daemon.shutdownTimeoutMs': 2000,
        'beat.checkPendingTranslations': false,
      },
    });
    const start = async () => {
      const d = await startDaemon(config, {
        log: silentLogger,
        gatewayFactory: () => unavailableGateway(config, 'test'),
        services: (ctx) => testServices(ctx, 'sleep'),
      });
      cleanups.push(() => d.close());
      return d;
    };
    return { config, start };
  }

  it('a paused lane stays paused across a restart, its job waits, and resume drains it', async () => {
    const { start } = await setup();
    let d = await start();
    let client = clientFor(d.socketPath);
    await client.pause('translation');
    const job = await client.submitJob({ kind: 'sleep' as never, params: { steps: 3, ms: 1, lane: 'translation' } });
    await until(async () => d.lanes.queued('translation') === 1);
    expect(d.lanes.active('translation')).toBe(0);
    await d.close();
    d = await start();
    client = clientFor(d.socketPath);
    expect((await client.stats()).lanes.translation.paused).toBe(true);
    await until(async () => d.lanes.queued('translation') === 1);
    expect((await client.getJob(job.id)).status).toBe('running');
    await client.resume('translation');
    const final = await until(async () => {
      const j = await client.getJob(job.id);
      return j.status === 'done' ? j : null;
    });
    expect(final.result).toMatchObject({ done: 3 });
  });

  it('jobs cut short by a graceful stop are given back and finished after the restart', async () => {
    const { start } = await setup();
    let d = await start();
    let client = clientFor(d.socketPath);
    const submitted: JobView[] = [];
    for (let i = 0; i < 8; i++) submitted.push(await client.submitJob({ kind: 'sleep' as never, params: { steps: 20, ms: 20 } }));
    await until(async () => d.lanes.active('translation') > 0);
    await d.close();
    const rows = await Promise.all(
      submitted.map((j) =>
        clientFor(d.socketPath)
          .getJob(j.id)
          .catch(() => null),
      ),
    );
    expect(rows.every((r) => r === null)).toBe(true); // the socket is gone

    d = await start();
    client = clientFor(d.socketPath);
    const finals = await until(async () => {
      const all = await Promise.all(submitted.map((j) => client.getJob(j.id)));
      return all.every((j) => j.status === 'done') ? all : null;
    }, 30000);
    expect(finals.map((j) => j.status)).toEqual(submitted.map(() => 'done'));
    expect(finals.every((j) => j.error === null)).toBe(true);
  });

  it('a job whose service throws is marked failed with the reason', async () => {
    const { start } = await setup();
    const d = await start();
    const client = clientFor(d.socketPath);
    const job = await client.submitJob({ kind: 'sleep' as never, params: { fail: 'no such product' } });
    const f = await client.followJob(job.id, () => {});
    expect(f.status).toBe('failed');
    expect(f.error).toBe('no such product');
  });
});
