import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { usesSimulator } from '../config/load.js';
import { scrubText } from '../config/redact.js';
import { UnrecoverableError } from '../errors.js';
import type { SafeEmitter, VocEvents } from '../events.js';
import type { Logger } from '../log.js';
import { adaptiveParams } from './adaptive.js';
import { backoffMs, classify } from './retry.js';
import { RequestLog } from './request-log.js';
import { chatSender } from './chat-http.js';
import { PriorityDispatcher } from './throttle/dispatcher.js';
import { LocalPermits } from './throttle/local.js';
import { RedisPermits, throttleKeys } from './throttle/redis.js';
import { closedError, type PermitSource } from './throttle/types.js';
import type { Gateway, GatewayStats, LlmRequest, LlmResult } from './types.js';
import { costOf, estimateTokens, UsageLedger, type UsageWriter } from './usage.js';
import { sleep } from '../abort.js';
import { chatBody } from './chat-body.js';
import { createBatchApi } from './batch-api.js';

export interface GatewayOptions {
  config: Config;
  log: Logger;
  redis: Redis | null;
  /** where usage rows are stored; null keeps the counters only */
  usage: UsageWriter | null;
  events?: SafeEmitter<VocEvents>;
  /** overrides config.llm.baseUrl, e.g. the in-process simulator */
  baseUrl?: string;
  simulated?: boolean;
}

/** The key sent when the endpoint is the simulator (which ignores it). */
const SIMULATOR_KEY = 'sk-voc-simulator';

/**
 * The one door to the model: every LLM call of the program goes through complete(). It owns the global
 * throttle (every HTTP attempt takes a permit, retries included), priorities, retries with back-off, the
 * adaptive rate, and usage and cost. The API key never reaches a log line, an error or the stats.
 */
export function createGateway(opts: GatewayOptions): Gateway {
  const { config: cfg, events } = opts;
  const llm = cfg.llm;
  const simulated = opts.simulated ?? (opts.baseUrl !== undefined || usesSimulator(cfg));
  const apiKey = llm.apiKey ?? SIMULATOR_KEY;
  const secrets = [llm.apiKey];
  const scrub = (text: string) => scrubText(text, secrets);
  const log = opts.log.child({ component: 'llm' });
  const endpoint = opts.baseUrl ?? llm.baseUrl;

  const params = adaptiveParams(cfg);
  // a permit lapses a second after its attempt would time out (the local timer starts after the reply)
  const source: PermitSource = opts.redis
    ? new RedisPermits(opts.redis, throttleKeys(cfg), params, llm.pollBackoffMs, log, llm.timeoutMs + 1000)
    : new LocalPermits(params);
  const ledger = new UsageLedger(opts.usage, log);
  const closing = new AbortController();
  const tokensCap = llm.tokensPerMinute;
  const dispatcher = new PriorityDispatcher(source, async () => {
    if (!tokensCap) return;
    for (let ms = ledger.waitForTokens(tokensCap); ms > 0; ms = ledger.waitForTokens(tokensCap)) {
      await sleep(ms, closing.signal);
      if (closing.signal.aborted) throw closedError();
    }
  });
  // the per-attempt timeout starts once the permit is granted: queueing never counts against it
  const sender = chatSender({ baseURL: endpoint, apiKey, timeoutMs: llm.timeoutMs, dispatcher });
  const requests = new RequestLog();
  const counters = { inFlight: 0, retries: 0, failures: 0 };
  let closed: Promise<void> | null = null;

  const priorityOf = (lane: LlmRequest['lane']) => llm.priorities[lane] ?? 9;

  function attempt(req: LlmRequest, onStart: () => void) {
    return sender.send(JSON.stringify(chatBody(req, llm.model)), {
      priority: priorityOf(req.lane),
      lane: req.lane,
      task: req.task,
      signal: req.signal,
      onStart,
      onWire: (ms) => requests.wired(ms),
    });
  }

  /** Every 429 is an event; the rate (and the human line) changes once per burst, see adaptive.ts. */
  async function on429(lane: string): Promise<void> {
    const lowered = await source.on429();
    const rate = Math.round((lowered ?? source.rate()) * 10) / 10;
    events?.emit('llm:429', { lane, rate });
    if (lowered === null) return;
    log.warn('llm_rate_lowered', { lane, rate });
    events?.emit('log:line', { text: `429 from provider, rate lowered to ${rate}/s` });
  }

  async function complete(req: LlmRequest): Promise<LlmResult> {
    if (closed) throw closedError();
    const calledAt = Date.now();
    const base = req.lane === 'learning' ? llm.learningRetryBaseMs : llm.retryBaseMs;
    let lastReason = 'no attempt made';
    for (let n = 1; n <= llm.maxAttempts; n++) {
      let t0 = Date.now();
      let started = false;
      const onStart = () => {
        started = true;
        t0 = Date.now();
        if (n > 1) counters.retries++;
        requests.started(t0);
        counters.inFlight++;
      };
      let verdict;
      try {
        const data = await attempt(req, onStart);
        const content = data.choices?.[0]?.message?.content ?? '';
        const usage = data.usage
          ? { promptTokens: data.usage.prompt_tokens ?? 0, completionTokens: data.usage.completion_tokens ?? 0 }
          : { promptTokens: estimateTokens(req.messages.map((m) => m.content).join('\n')), completionTokens: estimateTokens(content) };
        const model = data.model || llm.model;
        const cost = costOf(cfg, model, usage);
        const latencyMs = Date.now() - t0;
        ledger.add({
          ts: Date.now(),
          lane: req.lane,
          product_id: req.productId ?? null,
          job_id: req.jobId ?? null,
          ingest_file: req.ingestFile ?? null,
          model,
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          cost,
          status: 'ok',
          latency_ms: latencyMs,
          items: req.items ?? null,
        });
        events?.emit('llm:call', { lane: req.lane, ms: latencyMs, items: req.items ?? 1, status: 200, attempt: n });
        const isSim = simulated || data.system_fingerprint === 'voc-simulator';
        return { content, usage, cost, model, simulated: isSim, attempts: n, latencyMs: Date.now() - calledAt };
      } catch (err) {
        verdict = classify(err, req.signal);
      } finally {
        if (started) counters.inFlight--;
      }
      if (closing.signal.aborted) throw closedError();
      if (verdict.kind === 'aborted') throw req.signal?.reason ?? new Error('LLM call aborted');
      events?.emit('llm:call', { lane: req.lane, ms: Date.now() - t0, items: req.items ?? 1, status: verdict.status, attempt: n });
      lastReason = scrub(verdict.reason);
      if (verdict.kind === 'fatal') {
        counters.failures++;
        recordFailure(req, Date.now() - t0);
        log.warn('llm_call_rejected', { lane: req.lane, task: req.task, reason: lastReason });
        throw new UnrecoverableError(`LLM request rejected: ${lastReason}`);
      }
      if (verdict.rateLimited) {
        requests.rejected429();
        await on429(req.lane);
      }
      if (n >= llm.maxAttempts) break;
      // never sooner than the provider asked; the permit for the retry is taken afterwards, so it is on top
      const wait = Math.max(verdict.retryAfterMs ?? 0, backoffMs(n, base, llm.retryMaxMs));
      log.debug('llm_retry', { lane: req.lane, task: req.task, attempt: n, reason: lastReason, waitMs: wait });
      await sleep(wait, req.signal, closing.signal);
      if (req.signal?.aborted) throw req.signal.reason ?? closedError();
      if (closing.signal.aborted) throw closedError();
    }
    counters.failures++;
    recordFailure(req, Date.now() - calledAt);
    log.warn('llm_call_failed', { lane: req.lane, task: req.task, attempts: llm.maxAttempts, reason: lastReason });
    throw new Error(`LLM call failed after ${llm.maxAttempts} attempts: ${lastReason}`);
  }

  function recordFailure(req: LlmRequest, latencyMs: number): void {
    ledger.add({
      ts: Date.now(),
      lane: req.lane,
      product_id: req.productId ?? null,
      job_id: req.jobId ?? null,
      ingest_file: req.ingestFile ?? null,
      model: llm.model,
      prompt_tokens: 0,
      completion_tokens: 0,
      cost: 0,
      status: 'error',
      latency_ms: latencyMs,
      items: req.items ?? null,
    });
  }

  function stats(): GatewayStats {
    const now = Date.now();
    return {
      limit: llm.qps,
      adaptiveRate: Math.round(source.rate() * 100) / 100,
      window: requests.inLast(1000, now),
      wireDelayMs: requests.wireDelays(),
      history: requests.history(now),
      waiting: dispatcher.waiting(),
      inFlight: counters.inFlight,
      requests: requests.total,
      rejected429: requests.total429,
      rejected429Last5m: requests.recent429(5 * 60_000, now),
      retries: counters.retries,
      failures: counters.failures,
      promptTokens: ledger.promptTokens,
      completionTokens: ledger.completionTokens,
      tokensLastMinute: ledger.tokensLastMinute(now),
      cost: ledger.cost,
      costToday: ledger.costToday(),
      currency: llm.currency,
      throttle: source.kind,
      throttleHealthy: source.healthy(),
      endpoint: scrub(endpoint),
      model: llm.model,
      simulated,
    };
  }

  return {
    complete,
    stats,
    // the Batch API has its own limits: its few management requests take no permit of the realtime budget
    batch: createBatchApi({ apiKey, baseURL: endpoint, timeoutMs: llm.timeoutMs, model: llm.model, simulated, scrub }),
    close: () => {
      closed ??= (async () => {
        closing.abort();
        dispatcher.close();
        source.close();
        sender.close();
        await ledger.flush();
      })();
      return closed;
    },
  };
}
