import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { checkpointInThread } from '../../src/store/checkpointer.js';
import { tempHome, testConfig } from '../helpers/home.js';

describe('SQLite checkpoints in a thread', () => {
  const done: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of done.splice(0).reverse()) await fn();
  });

  async function setup(): Promise<{ store: Store; size: () => number }> {
    const { home, cleanup } = tempHome('ckpt');
    done.push(cleanup);
    const store = await openStore(testConfig(home));
    done.push(() => store.close());
    return { store, size: () => statSync(store.where).size };
  }

  async function write(store: Store, n: number, prefix = ''): Promise<void> {
    const text = 'x'.repeat(2000);
    for (let i = 0; i < n; i++) {
      const rows = Array.from({ length: 50 }, (_, j) => ({ hash: `${prefix}${i}-${j}`, translation: text }));
      await store.knex.transaction((trx) =>
        trx('translation_cache').insert(
          rows.map((r) => ({ text_hash: r.hash, model: 'm', target_lang: 'zh-CN', translation: r.translation, created_at: 1 })),
        ),
      );
    }
  }

  it('the thread copies committed pages into the database file while the main connection only appends to the log', async () => {
    const { store, size } = await setup();
    const stop = await checkpointInThread(store, store.where, 50);
    done.push(stop);
    const [{ wal_autocheckpoint }] = (await store.knex.raw('PRAGMA wal_autocheckpoint')) as Array<{ wal_autocheckpoint: number }>;
    expect(wal_autocheckpoint).toBe(0);
    const before = size();
    await write(store, 20); // ~2 MB
    const deadline = Date.now() + 10_000;
    while (size() <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(size()).toBeGreaterThan(before);
    await stop();
    const [{ n }] = await store.knex('translation_cache').count({ n: '*' });
    expect(Number(n)).toBe(1000);
  });

  it('keeps the log near its limit under writes that never pause, and cuts the file back when it starts over', async () => {
    const { store } = await setup();
    const limit = 1024 * 1024;
    const stop = await checkpointInThread(store, store.where, 20, limit);
    done.push(stop);
    const wal = () => {
      try {
        return statSync(`${store.where}-wal`).size;
      } catch {
        return 0;
      }
    };
    await new Promise((r) => setTimeout(r, 300)); // the thread is up
    let largest = 0;
    for (let round = 0; round < 30; round++) {
      await write(store, 10, `r${round}:`); // ~1 MB a round, commit after commit
      largest = Math.max(largest, wal());
      await new Promise((r) => setImmediate(r)); // no pause the thread could finish a passive checkpoint in
    }
    // without the RESTART the log only grows, to more than the 30 MB written (359 MB for a 200,000-row ingest); with it
    // the log starts over whenever the thread gets its turn, several times here even on a loaded machine
    expect(largest).toBeLessThan(15 * limit);
    await new Promise((r) => setTimeout(r, 200));
    await write(store, 1, 'last:'); // the next write starts the log over, at most `limit` bytes long
    expect(wal()).toBeLessThanOrEqual(limit + 256 * 1024);
  });

  it('the main connection checkpoints again when the thread cannot', async () => {
    const { store } = await setup();
    const autocheckpoint = async () =>
      ((await store.knex.raw('PRAGMA wal_autocheckpoint')) as Array<{ wal_autocheckpoint: number }>)[0].wal_autocheckpoint;
    // a file the thread cannot open: it ends at once
    const stop = await checkpointInThread(store, `${store.where}.missing`, 50);
    done.push(stop);
    const deadline = Date.now() + 10_000;
    while ((await autocheckpoint()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await autocheckpoint()).toBe(1000);
  });
});
