import type { Store } from '../store/db.js';
import { writeOutcomes, type AnalysisKind, type ReviewOutcome, type WriteResult } from '../store/insights.js';

/**
 * The seed's batch commit: outcomes are buffered and written `size` reviews per transaction (rows and status
 * updates together), never one commit per review. A crash loses at most the buffer, whose claims then expire and
 * are redone. Flushes run one after another so the transaction count is exactly ceil(reviews / size).
 */
export class OutcomeWriter {
  private buffer: ReviewOutcome[] = [];
  private chain: Promise<void> = Promise.resolve();
  private error: unknown = null;
  transactions = 0;

  constructor(
    private store: Store,
    private kind: AnalysisKind,
    private owner: string,
    private size: number,
    private onWritten: (res: WriteResult) => void,
  ) {}

  /** Add outcomes; full batches are written in the background (await `flush` to see them committed). */
  add(outcomes: ReviewOutcome[]): Promise<void> {
    this.buffer.push(...outcomes);
    while (this.buffer.length >= this.size) this.enqueue(this.buffer.splice(0, this.size));
    return this.chain;
  }

  /** Write whatever is buffered, then wait for every write; rethrows the first write error. */
  async flush(): Promise<void> {
    if (this.buffer.length) this.enqueue(this.buffer.splice(0));
    await this.chain;
    if (this.error) throw this.error;
  }

  /** Buffered failures that go back to pending once written: the claim loop flushes them to try again. */
  hasRetries(): boolean {
    return this.buffer.some((o) => !o.ok && !o.final);
  }

  private enqueue(batch: ReviewOutcome[]): void {
    this.chain = this.chain.then(async () => {
      if (this.error) return;
      try {
        this.transactions++;
        this.onWritten(await writeOutcomes(this.store, this.kind, this.owner, batch));
      } catch (err) {
        this.error = err;
      }
    });
  }
}
