import type { DaemonContext } from '../context.js';
import { CLASS_ORDER } from './classifier.js';
import type { ReviewClass } from '../domain.js';
import type { PendingText, PreparedReview } from './prepare.js';
import type { CallTally } from './call.js';
import { knownSecrets, scrubText } from '../config/redact.js';

type Counts = Record<ReviewClass, number>;
const zero = (): Counts => ({ vip: 0, standard: 0, short: 0 });

/** What a translate job returns (and `voc translate-pending --json` prints). */
export interface TranslateSummary {
  [key: string]: unknown;
  reviews: number;
  translated: number;
  skipped: number;
  cached: number;
  /** translated locally between Traditional and Simplified Chinese (OpenCC), no call */
  converted: number;
  failed: number;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  classes: Counts;
  fallbacks: number;
  simulated: boolean;
  /** why reviews failed, most frequent first (at most FAILURE_REASONS, secrets scrubbed) */
  failures: FailureReason[];
}

export interface FailureReason {
  error: string;
  reviews: number;
}

/** Distinct failure reasons a run reports; the rest are in the log and the reviews' tr_error. */
const FAILURE_REASONS = 3;

/** Items sent per daemon, so the classifier's items-per-call spans every run, not just the latest. */
const itemsSent = new WeakMap<object, number>();

/**
 * Counts of one run: feeds the daemon's classifier counters (the status screen), the progress snapshots and the
 * seed's log lines (`classified: vip=8 | standard=32 | short=60` ... `done: 100 translated (...)`).
 */
export class RunStats {
  private classes = zero();
  private settledOk = zero();
  private translated = 0;
  private skipped = 0;
  private cached = 0;
  private converted = 0;
  private failed = 0;
  /** failure reason -> reviews, as the summary reports them */
  private errors = new Map<string, number>();
  /** claimed and handed back unsent (a stop, a cancel) */
  released = 0;
  private seenCalls = 0;
  private seenFallbacks = 0;
  private seenItems = 0;

  constructor(
    private ctx: DaemonContext,
    private jobId: number | null,
    private total: number,
  ) {
    ctx.counters.classifier.run = { ...zero(), jobId };
  }

  /**
   * Every line goes to the log (`detail` ones at debug level: at 200 calls/s a line per batch cost more CPU than
   * the call); `screen: false` keeps one-review batches from flooding the status events.
   */
  private line(text: string, o: { screen?: boolean; detail?: boolean } = {}): void {
    if (o.detail) this.ctx.log.debug('translate', { jobId: this.jobId, text });
    else this.ctx.log.info('translate', { jobId: this.jobId, text });
    if (o.screen !== false) this.ctx.events.emit('log:line', { text });
  }

  chunk(reviews: PreparedReview[], items: PendingText[], cacheHits: number): void {
    const c = zero();
    for (const r of reviews) c[r.cls]++;
    const k = this.ctx.counters.classifier;
    for (const cls of CLASS_ORDER) {
      this.classes[cls] += c[cls];
      k[cls] += c[cls];
      k.run[cls] += c[cls];
    }
    k.cacheHits += cacheHits;
    this.total = Math.max(
      this.total,
      CLASS_ORDER.reduce((n, cls) => n + this.classes[cls], 0),
    );
    this.line(`classified: vip=${c.vip} | standard=${c.standard} | short=${c.short}`);
    const cfg = this.ctx.config.translate;
    for (const cls of CLASS_ORDER) {
      if (!c[cls]) continue;
      const size = cfg.packing === 'tokens' ? `up to ${cfg.tokenBudget} tokens per call` : `batch size ${cfg.batchSize[cls]}`;
      const toSend = items.filter((i) => i.cls === cls).length;
      const extra = toSend < c[cls] ? ` (${c[cls] - toSend} need no call)` : '';
      this.line(`processing ${cls}: ${c[cls]} reviews, ${size}${extra}`);
    }
  }

  batch(cls: ReviewClass): void {
    this.ctx.counters.classifier.batches[cls]++;
  }

  batchDone(cls: ReviewClass, ok: number, n: number, tally: CallTally): void {
    this.absorb(tally);
    this.line(`${cls} batch done: ${ok}/${n}`, { screen: n > 1, detail: true });
  }

  review(cls: ReviewClass, status: 'done' | 'skipped' | 'failed' | 'released', cached: boolean, converted = false, error?: string): void {
    const k = this.ctx.counters.classifier;
    if (status === 'done') {
      this.translated++;
      k.translated++;
      this.settledOk[cls]++;
      if (cached) this.cached++;
      if (converted) this.converted++;
    } else if (status === 'skipped') {
      this.skipped++;
      k.skipped++;
      this.settledOk[cls]++;
    } else if (status === 'failed') {
      this.failed++;
      k.failed++;
      const why = scrubText((error ?? 'unknown error').slice(0, 300), knownSecrets());
      this.errors.set(why, (this.errors.get(why) ?? 0) + 1);
    } else this.released++;
  }

  private failures(): FailureReason[] {
    return [...this.errors]
      .sort((a, b) => b[1] - a[1])
      .slice(0, FAILURE_REASONS)
      .map(([error, reviews]) => ({ error, reviews }));
  }

  /** Adds the calls made since the last look to the daemon's counters. */
  private absorb(t: CallTally): void {
    const k = this.ctx.counters.classifier;
    k.calls += t.calls - this.seenCalls;
    k.fallbacks += t.fallbacks - this.seenFallbacks;
    const items = (itemsSent.get(k) ?? 0) + (t.items - this.seenItems);
    itemsSent.set(k, items);
    k.reviewsPerCall = k.calls ? Math.round((items / k.calls) * 100) / 100 : 0;
    this.seenCalls = t.calls;
    this.seenFallbacks = t.fallbacks;
    this.seenItems = t.items;
  }

  snapshot(t: CallTally): Record<string, unknown> {
    return {
      total: this.total,
      done: this.translated + this.skipped + this.failed,
      translated: this.translated,
      skipped: this.skipped,
      cached: this.cached,
      converted: this.converted,
      failed: this.failed,
      failures: this.failures(),
      calls: t.calls,
      fallbacks: t.fallbacks,
      classes: { ...this.classes },
    };
  }

  finish(t: CallTally): TranslateSummary {
    this.absorb(t);
    const per = CLASS_ORDER.slice()
      .reverse()
      .map((c) => `${c} ${this.settledOk[c]}/${this.classes[c]}`)
      .join(', ');
    const failed = this.failed ? `, ${this.failed} failed` : '';
    const converted = this.converted ? `, ${this.converted} converted without a call` : '';
    this.line(
      `done: ${this.translated} translated (${per}), ${this.skipped} skipped, ${this.cached} from cache${converted}${failed}, ${t.fallbacks} fallbacks, ${t.calls} calls`,
    );
    return {
      reviews: CLASS_ORDER.reduce((n, c) => n + this.classes[c], 0),
      translated: this.translated,
      skipped: this.skipped,
      cached: this.cached,
      converted: this.converted,
      failed: this.failed,
      calls: t.calls,
      promptTokens: t.promptTokens,
      completionTokens: t.completionTokens,
      cost: Math.round(t.cost * 1e6) / 1e6,
      classes: { ...this.classes },
      fallbacks: t.fallbacks,
      simulated: t.simulated,
      failures: this.failures(),
    };
  }
}
