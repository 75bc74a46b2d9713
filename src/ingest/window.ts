/**
 * Chunks in flight while the next one is parsed, for sinks that take several at once (the store sink): one left
 * the database idle while the CLI parsed; a few keep a PostgreSQL connection busy per chunk.
 */
export const CHUNKS_IN_FLIGHT = 3;

/**
 * Chunks in flight to the daemon. A chunk spends longer on its way there (serialised, written to the socket, read
 * and parsed between the inserts of the chunks ahead of it, answered) than either side spends on it, so with 3 both
 * processes sat idle a third of the time: 200,000 rows into SQLite took 3.45 s with 3, 2.6 s with 6 (2.57 s with 8).
 * The rows of a sent chunk are let go (see writeOnce in commands/ingest.ts); each one in flight holds its bytes.
 */
export const DAEMON_CHUNKS_IN_FLIGHT = 6;

/**
 * Up to `depth` chunk writes in flight. Acknowledgements are handled in send order, so progress and conflict
 * reports read as the file does; a failure surfaces at the next send or at drain, never as an unhandled rejection.
 */
export class ChunkWindow {
  private readonly pending: Array<Promise<void>> = [];
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly depth: number = 1) {}

  /** Wait for room (rethrowing the oldest chunk's failure), then send; onAck runs after the commit, in send order. */
  async send<T>(write: () => Promise<T>, onAck: (result: T) => void): Promise<void> {
    while (this.pending.length >= this.depth) await this.pending.shift();
    const written = write();
    written.catch(() => {}); // it may fail before the chunks ahead of it are acknowledged; acked carries the failure
    const acked = this.last.then(() => written).then(onAck);
    acked.catch(() => {}); // rethrown by the await that takes it out of the window
    this.last = acked.catch(() => {});
    this.pending.push(acked);
  }

  /** Wait for every chunk sent; throws the first failure. */
  async drain(): Promise<void> {
    while (this.pending.length) await this.pending.shift();
  }

  /** Wait until every chunk sent is committed or failed, without throwing: nothing is left half-way. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.pending);
  }
}
