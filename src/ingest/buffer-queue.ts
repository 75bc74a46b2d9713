import type { Redis } from 'ioredis';

/**
 * The Redis side of the ingest buffer, as a reliable queue. Producers RPUSH one JSON review per element to the
 * buffer list. A daemon moves a batch into its own processing list (one Lua script: nothing is ever only in a
 * daemon's memory), stores the rows, and only then trims the batch off its processing list, in the same script
 * that appends the batch's rejects to the dead-letter list. While it holds a batch it keeps a hold key alive
 * (`<processing list>:hold`, a lease in Redis itself, so a database outage does not make a live daemon look dead).
 * A daemon that dies holding a batch leaves it in its processing list; a restart of that daemon, or any other
 * daemon once the hold has lapsed, moves it back to the head of the buffer. Storing is idempotent (reviews are
 * unique by source key), so an element taken twice after a takeover is still stored once.
 *
 * A list with processing lists (the Redis reliable-queue pattern) rather than a stream with a consumer group: the
 * producers' contract is a list (RPUSH), and a stream would need a second hop from that list anyway, with the same
 * take-then-lose window this closes.
 */
export interface BufferKeys {
  /** the list producers push to */
  buffer: string;
  /** elements that are not valid reviews, as DeadLetter JSON */
  dead: string;
  /** daemon ids that may hold a processing list */
  consumers: string;
  processing: (daemonId: string) => string;
  /** exists while the daemon is alive and holds its processing list */
  hold: (daemonId: string) => string;
}

export function bufferKeys(prefix: string, bufferKey: string): BufferKeys {
  const buffer = prefix + bufferKey;
  return {
    buffer,
    dead: `${buffer}:dead`,
    consumers: `${buffer}:consumers`,
    processing: (id) => `${buffer}:processing:${id}`,
    hold: (id) => `${buffer}:processing:${id}:hold`,
  };
}

/** One rejected element, as stored in the dead-letter list. */
export interface DeadLetter {
  /** epoch ms when it was rejected */
  at: number;
  daemon: string;
  /** the source field at fault, or `(element)` when the element is not a JSON object */
  field: string;
  reason: string;
  /** the element exactly as the producer pushed it */
  element: string;
}

/*
 * KEYS[1] buffer list, KEYS[2] this daemon's processing list, KEYS[3] consumers set, KEYS[4] this daemon's hold key
 * ARGV[1] batch size, ARGV[2] daemon id, ARGV[3] hold lease in ms
 * Returns the batch: what the processing list still holds from a failed attempt, else up to ARGV[1] elements moved
 * from the head of the buffer to the processing list. The first entry says which ('held' or 'new').
 */
const TAKE = `
local n = tonumber(ARGV[1])
local held = redis.call('LRANGE', KEYS[2], 0, n - 1)
if #held > 0 then
  redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[3])
  table.insert(held, 1, 'held')
  return held
end
local items = redis.call('LRANGE', KEYS[1], 0, n - 1)
if #items == 0 then return {'new'} end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('RPUSH', KEYS[2], unpack(items))
table.insert(items, 1, 'new')
return items`;

/*
 * KEYS[1] this daemon's processing list, KEYS[2] dead-letter list, KEYS[3] consumers set
 * ARGV[1] elements to trim off the head of the processing list, ARGV[2] daemon id, ARGV[3..] dead letters
 * The batch is the head of the processing list (only its owner adds to it, one batch at a time); a takeover may
 * have emptied it meanwhile, and trimming an emptied list removes nothing.
 */
const ACK = `
for i = 3, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[1]), -1)
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[2]) end
return 1`;

/*
 * KEYS[1] a processing list, KEYS[2] buffer list, KEYS[3] consumers set, KEYS[4] the owner's hold key
 * ARGV[1] the owner's daemon id, ARGV[2] '1': only if the owner's hold has lapsed (a takeover)
 * Moves the whole processing list back to the head of the buffer, in its order. Returns how many moved, or -1
 * when the owner still holds it.
 */
const RELEASE = `
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
local n = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') do n = n + 1 end
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4])
return n`;

type Scripted = Redis & {
  vocBufferTake(
    buffer: string,
    processing: string,
    consumers: string,
    hold: string,
    n: number,
    id: string,
    leaseMs: number,
  ): Promise<string[]>;
  vocBufferAck(processing: string, deadKey: string, consumers: string, n: number, id: string, ...letters: string[]): Promise<number>;
  vocBufferRelease(
    processing: string,
    buffer: string,
    consumers: string,
    hold: string,
    id: string,
    onlyIfLapsed: '0' | '1',
  ): Promise<number>;
};

function scripted(redis: Redis): Scripted {
  const r = redis as Scripted;
  // defineCommand sends EVALSHA and falls back to EVAL once per connection
  if (typeof r.vocBufferTake !== 'function') {
    redis.defineCommand('vocBufferTake', { numberOfKeys: 4, lua: TAKE });
    redis.defineCommand('vocBufferAck', { numberOfKeys: 3, lua: ACK });
    redis.defineCommand('vocBufferRelease', { numberOfKeys: 4, lua: RELEASE });
  }
  return r;
}

export interface Batch {
  elements: string[];
  /** true when these were held from an earlier attempt that did not commit */
  held: boolean;
}

/** `leaseMs`: how long a hold lasts unless renewed; a daemon that stops renewing is taken over after it. */
export function createBufferQueue(redis: Redis, keys: BufferKeys, daemonId: string, leaseMs: number) {
  const r = scripted(redis);
  const mine = keys.processing(daemonId);
  const hold = keys.hold(daemonId);
  return {
    keys,
    /** the next batch, now in this daemon's processing list, held for `leaseMs` */
    async take(max: number): Promise<Batch> {
      const [kind, ...elements] = await r.vocBufferTake(keys.buffer, mine, keys.consumers, hold, max, daemonId, leaseMs);
      return { elements, held: kind === 'held' };
    },
    /** still working on the batch: extend the hold */
    async renew(): Promise<void> {
      await redis.set(hold, daemonId, 'PX', leaseMs);
    },
    /** the batch's rows are committed: drop it from the processing list and record its rejects, atomically */
    async ack(batch: Batch, dead: DeadLetter[]): Promise<void> {
      await r.vocBufferAck(mine, keys.dead, keys.consumers, batch.elements.length, daemonId, ...dead.map((d) => JSON.stringify(d)));
    },
    /** give this daemon's held batch back to the buffer (start-up after a crash, a failed store, shutdown) */
    release(): Promise<number> {
      return r.vocBufferRelease(mine, keys.buffer, keys.consumers, hold, daemonId, '0');
    },
    /** ids of other daemons that may hold elements */
    async holders(): Promise<string[]> {
      return (await redis.smembers(keys.consumers)).filter((id) => id !== daemonId);
    },
    /** move another daemon's processing list back to the buffer if its hold has lapsed; -1 when it is still held */
    recover(owner: string): Promise<number> {
      return r.vocBufferRelease(keys.processing(owner), keys.buffer, keys.consumers, keys.hold(owner), owner, '1');
    },
  };
}

export type BufferQueue = ReturnType<typeof createBufferQueue>;

export interface BufferView {
  key: string;
  deadKey: string;
  /** elements waiting in the buffer */
  waiting: number;
  /** elements taken by a daemon and not yet committed */
  inFlight: number;
  deadLetters: number;
  /** the latest dead letters, newest last (the element cut to 200 characters) */
  recentDead: DeadLetter[];
}

/** What `voc status` and `voc jobs` show of the buffer. */
export async function bufferView(redis: Redis, keys: BufferKeys, recent = 5): Promise<BufferView> {
  const holders = await redis.smembers(keys.consumers);
  const m = redis.multi().llen(keys.buffer).llen(keys.dead).lrange(keys.dead, -recent, -1);
  for (const id of holders) m.llen(keys.processing(id));
  const res = ((await m.exec()) ?? []).map(([err, v]) => {
    if (err) throw err;
    return v;
  });
  const recentDead = (res[2] as string[]).map((s): DeadLetter => {
    try {
      const d = JSON.parse(s) as DeadLetter;
      return { ...d, element: String(d.element ?? '').slice(0, 200) };
    } catch {
      return { at: 0, daemon: '', field: '(entry)', reason: 'unreadable dead-letter entry', element: s.slice(0, 200) };
    }
  });
  const inFlight = (res.slice(3) as number[]).reduce((a, b) => a + b, 0);
  return { key: keys.buffer, deadKey: keys.dead, waiting: res[0] as number, inFlight, deadLetters: res[1] as number, recentDead };
}
