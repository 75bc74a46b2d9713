import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { LlmLane } from '../config/schema.js';
import type { LlmUsage } from './types.js';
import { errorMessage } from '../errors.js';

/** Tokens and cost of every call: counters for stats(), and rows in llm_usage written in batches. */
export interface UsageRow {
  ts: number;
  lane: LlmLane;
  product_id: string | null;
  job_id: number | null;
  ingest_file: string | null;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  cost: number;
  status: 'ok' | 'error' | 'rate_limited';
  latency_ms: number | null;
  items: number | null;
  /** made through the Batch API (billed at the batch price) */
  batch?: boolean;
}

/** Stores a batch of usage rows (the daemon gives the store's; null keeps the counters only). */
export type UsageWriter = (rows: UsageRow[]) => Promise<void>;

// at 200 calls/s a row batch a second: each batch is a transaction, whose commit costs more than its rows
const FLUSH_MS = 1000;
const FLUSH_ROWS = 500;
const MINUTE = 60_000;

/** Rough token count when a provider sends no usage: ~4 characters a token for Latin text, ~1.5 for CJK. */
export function estimateTokens(text: string): number {
  if (!text) return 0;
  const cjk = (text.match(/[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]/g) ?? []).length;
  return Math.max(1, Math.ceil(cjk / 1.5 + (text.length - cjk) / 4));
}

export function costOf(cfg: Config, model: string, usage: LlmUsage): number {
  // the simulator names its model "<model>-simulated"; price it as the model asked for
  const price = cfg.llm.prices[model] ?? cfg.llm.prices[model.replace(/-simulated$/, '')];
  if (!price) return 0;
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
}

/** The Batch API's price: the table's batch prices, half the realtime price where it names none. */
export function batchCostOf(cfg: Config, model: string, usage: LlmUsage): number {
  const price = cfg.llm.prices[model] ?? cfg.llm.prices[model.replace(/-simulated$/, '')];
  if (!price) return 0;
  return (
    (usage.promptTokens * (price.batchInput ?? price.input / 2) + usage.completionTokens * (price.batchOutput ?? price.output / 2)) /
    1_000_000
  );
}

/** The local day that `ts` falls in, as [start, end) in ms: a call's day is then two comparisons, not a date string. */
function dayOf(ts: number): [number, number] {
  const d = new Date(ts);
  const start = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return [start, new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime()];
}

export class UsageLedger {
  promptTokens = 0;
  completionTokens = 0;
  cost = 0;
  private costTodayValue = 0;
  private today = dayOf(Date.now());
  /** tokens of the calls of the last minute, oldest first from `head`; expired entries go as new ones come */
  private minute: Array<{ ts: number; tokens: number }> = [];
  private head = 0;
  private minuteTokens = 0;
  private pending: UsageRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private write: UsageWriter | null,
    private log: Logger,
  ) {}

  add(row: UsageRow): void {
    this.promptTokens += row.prompt_tokens;
    this.completionTokens += row.completion_tokens;
    this.cost += row.cost;
    if (row.ts < this.today[0] || row.ts >= this.today[1]) {
      this.today = dayOf(row.ts);
      this.costTodayValue = 0;
    }
    this.costTodayValue += row.cost;
    const tokens = row.prompt_tokens + row.completion_tokens;
    if (tokens > 0) {
      this.minute.push({ ts: row.ts, tokens });
      this.minuteTokens += tokens;
      this.expire(row.ts); // bounded by a minute's calls even when nothing reads it (a day at 200/s is 17 M calls)
    }
    if (!this.write) return;
    this.pending.push(row);
    if (this.pending.length >= FLUSH_ROWS) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
  }

  costToday(): number {
    const now = Date.now();
    return now >= this.today[0] && now < this.today[1] ? this.costTodayValue : 0;
  }

  private expire(now: number): void {
    const m = this.minute;
    while (this.head < m.length && m[this.head].ts <= now - MINUTE) this.minuteTokens -= m[this.head++].tokens;
    // cut the expired head off in bulk, once it is most of the array
    if (this.head > 1024 && this.head * 2 > m.length) {
      this.minute = m.slice(this.head);
      this.head = 0;
    }
  }

  tokensLastMinute(now = Date.now()): number {
    this.expire(now);
    return this.minuteTokens;
  }

  /** Milliseconds until the last-minute token count falls under `cap` (0 when it already is). */
  waitForTokens(cap: number, now = Date.now()): number {
    let total = this.tokensLastMinute(now);
    for (let i = this.head; i < this.minute.length && total >= cap; i++) {
      const e = this.minute[i];
      total -= e.tokens;
      if (total < cap) return e.ts + MINUTE - now + 1;
    }
    return 0;
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const rows = this.pending.splice(0);
    const write = this.write;
    if (!rows.length || !write) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        await write(rows);
      } catch (err) {
        // usage rows are bookkeeping: losing a batch must not fail the calls that produced it
        this.log.warn('llm_usage_write_failed', { rows: rows.length, error: errorMessage(err) });
      }
    });
    return this.flushing;
  }
}
