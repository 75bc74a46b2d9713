import { describe, expect, it } from 'vitest';
import { ChunkWindow } from '../../src/ingest/window.js';

/** A write the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('ChunkWindow', () => {
  it('keeps at most depth writes in flight and acknowledges in send order when later writes finish first', async () => {
    const w = new ChunkWindow(2);
    const writes = [deferred<number>(), deferred<number>(), deferred<number>()];
    const acks: number[] = [];
    let started = 0;
    await w.send(
      () => (started++, writes[0].promise),
      (n) => acks.push(n),
    );
    await w.send(
      () => (started++, writes[1].promise),
      (n) => acks.push(n),
    );
    const third = w.send(
      () => (started++, writes[2].promise),
      (n) => acks.push(n),
    );
    await Promise.resolve();
    expect(started).toBe(2); // the third waits for room
    writes[1].resolve(1);
    await new Promise((r) => setImmediate(r));
    expect(acks).toEqual([]); // the second is done, but the first is not acknowledged yet
    writes[0].resolve(0);
    await third;
    expect(started).toBe(3);
    writes[2].resolve(2);
    await w.drain();
    expect(acks).toEqual([0, 1, 2]);
  });

  it('surfaces a failed write at drain, after settling the rest, without an unhandled rejection', async () => {
    const w = new ChunkWindow(3);
    const a = deferred<number>();
    const b = deferred<number>();
    const acks: number[] = [];
    await w.send(
      () => a.promise,
      (n) => acks.push(n),
    );
    await w.send(
      () => b.promise,
      (n) => acks.push(n),
    );
    b.reject(new Error('insert failed')); // fails while the chunk ahead of it is still in flight
    await new Promise((r) => setImmediate(r));
    a.resolve(1);
    await w.settle();
    await expect(w.drain()).rejects.toThrow('insert failed');
    expect(acks).toEqual([1]);
  });
});
