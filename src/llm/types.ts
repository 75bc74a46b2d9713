import type { WireDelays } from './request-log.js';
import type { LlmLane } from '../config/schema.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One logical LLM call. The gateway owns throttle, priority, retries, usage and cost. */
export interface LlmRequest {
  lane: LlmLane;
  /** which prompt this is (see tasks.ts); sent as the `x-voc-task` header, which real endpoints ignore */
  task: TaskName;
  messages: ChatMessage[];
  /** JSON mode (response_format json_object); the prompt must contain the word JSON */
  json?: boolean;
  productId?: string | null;
  jobId?: number | null;
  ingestFile?: string | null;
  /** reviews (or texts) this call carries, for the stats' items-per-call */
  items?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface LlmResult {
  content: string;
  usage: LlmUsage;
  cost: number;
  model: string;
  /** the answer came from the built-in simulator */
  simulated: boolean;
  /** HTTP requests this call took (1 + retries) */
  attempts: number;
  latencyMs: number;
}

export type TaskName = 'translate_single' | 'translate_batch' | 'learn' | 'insights' | 'themes';

export interface GatewayStats {
  /** configured cap (requests per window) */
  limit: number;
  /** effective rate after 429 adaptation; equals limit when healthy */
  adaptiveRate: number;
  /** requests started in the last 1000 ms */
  window: number;
  /** time from a permit to the request's wire time (the most recent 20000 requests) */
  wireDelayMs: WireDelays;
  /** requests per second over the last 60 s, oldest first (60 numbers) */
  history: number[];
  /** calls waiting for a permit, by priority lane */
  waiting: Record<LlmLane, number>;
  inFlight: number;
  requests: number;
  rejected429: number;
  rejected429Last5m: number;
  retries: number;
  failures: number;
  promptTokens: number;
  completionTokens: number;
  tokensLastMinute: number;
  cost: number;
  costToday: number;
  currency: string;
  throttle: 'local' | 'redis';
  /** false while Redis is unreachable: calls are paused, never sent unthrottled */
  throttleHealthy: boolean;
  endpoint: string;
  model: string;
  simulated: boolean;
}

export interface Gateway {
  complete(req: LlmRequest): Promise<LlmResult>;
  /** the provider's Batch API (absent in test doubles that only answer realtime calls) */
  batch?: BatchApi;
  stats(): GatewayStats;
  close(): Promise<void>;
}

/** A batch as the provider reports it (OpenAI-compatible Batch API). */
export interface RemoteBatch {
  id: string;
  status: 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
  total: number;
  completed: number;
  failed: number;
  outputFileId: string | null;
  errorFileId: string | null;
  /** the provider's reasons when it failed the batch (validation) */
  errors: string[];
}

/** One answer line of a batch's output or error file. */
export type BatchAnswer =
  | { customId: string; ok: true; content: string; model: string; promptTokens: number; completionTokens: number; simulated: boolean }
  | { customId: string; ok: false; error: string };

/**
 * The provider's Batch API. Upload and create find their own earlier attempt (by file name, by metadata) before
 * doing it again, so a daemon that died between the provider's answer and the store's write never uploads or
 * pays twice. Files travel from and to disk: a 100 MB batch file never sits in memory.
 */
export interface BatchApi {
  /** the JSONL line asking for `req` under `customId` (the same chat body as a realtime call) */
  line(customId: string, req: LlmRequest): string;
  /** a Blob from `fs.openAsBlob` is sent from the disk, with its length */
  upload(filename: string, content: Blob | string, o?: { recover?: boolean }): Promise<string>;
  create(fileId: string, tag: string, o?: { recover?: boolean }): Promise<RemoteBatch>;
  /** an earlier batch of ours, by its metadata tag (null: the provider has none) */
  find(tag: string): Promise<RemoteBatch | null>;
  retrieve(batchId: string): Promise<RemoteBatch>;
  cancel(batchId: string): Promise<RemoteBatch>;
  /** an output or error file, streamed to `dest` (read it with readAnswers) */
  download(fileId: string, dest: string): Promise<void>;
  /** whether answers come from the built-in simulator */
  readonly simulated: boolean;
}
