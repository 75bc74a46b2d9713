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
  stats(): GatewayStats;
  close(): Promise<void>;
}
