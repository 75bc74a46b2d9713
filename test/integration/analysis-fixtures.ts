import { Redis } from 'ioredis';
import type { DaemonContext } from '../../src/context.js';
import { newCounters } from '../../src/context.js';
import { SafeEmitter, type VocEvents } from '../../src/events.js';
import { silentLogger } from '../../src/log.js';
import type { LaneTask, LaneRunner } from '../../src/lanes/types.js';
import type { Gateway, LlmRequest, LlmResult } from '../../src/llm/types.js';
import { idleGatewayStats } from '../../src/daemon/gateway.js';
import { answerFor } from '../../src/llm/simulator/answers.js';
import { type NewReview } from '../../src/store/reviews.js';
import { insertReviews } from '../../src/store/insert.js';
import type { Store } from '../../src/store/db.js';
import type { Config } from '../../src/config/schema.js';
import { codePoints, sha256 } from '../../src/text.js';
import { classify } from '../../src/translate/classifier.js';
import { insertJob, toJobView, type JobView, type SubmitJobRequest } from '../../src/store/jobs.js';
import { KIND_LANES } from '../../src/daemon/jobs.js';

/** Shared pieces of the analysis tests: a context with in-test lanes and gateway, and review seeding. */

/** Lanes that run every job at once in the caller (the real runner's routing is tested elsewhere). */
export function directLanes(seen: LaneTask<unknown>[] = []): LaneRunner {
  const signal = new AbortController().signal;
  return {
    submit<T>(task: LaneTask<T>): Promise<T> {
      seen.push(task as LaneTask<unknown>);
      return task.run({ pool: task.lane === 'theme_extraction' ? 'theme' : task.lane === 'learning' ? 'vip' : 'insight', signal });
    },
    queued: () => 0,
    active: () => 0,
    isPaused: () => false,
  };
}

export interface FakeGateway extends Gateway {
  calls: LlmRequest[];
}

/** A gateway that answers like the simulator (deterministic, quotes copied from the text) unless `answer` says otherwise. */
export function fakeGateway(config: Config, answer?: (req: LlmRequest, n: number) => string | undefined): FakeGateway {
  const calls: LlmRequest[] = [];
  return {
    calls,
    async complete(req: LlmRequest): Promise<LlmResult> {
      calls.push(req);
      const content = answer?.(req, calls.length) ?? answerFor(req.task, req.messages).content;
      return {
        content,
        usage: { promptTokens: 100, completionTokens: 50 },
        cost: 0.001,
        model: 'fake',
        simulated: true,
        attempts: 1,
        latencyMs: 0,
      };
    },
    stats: () => idleGatewayStats(config, true),
    close: async () => {},
  };
}

export function makeCtx(
  config: Config,
  store: Store,
  gateway: Gateway,
  o: { redis?: Redis | null; lanes?: LaneRunner; signal?: AbortSignal } = {},
): DaemonContext {
  const ctx: DaemonContext = {
    config,
    log: silentLogger,
    store,
    redis: o.redis ?? null,
    daemonId: 'test-daemon',
    events: new SafeEmitter<VocEvents>(silentLogger),
    gateway,
    lanes: o.lanes ?? directLanes(),
    counters: newCounters(),
    submitJob: (req, source) => queueJob(ctx, req, source),
    // no heartbeat here: the leases of a test run (a minute by default) outlive it
    leases: { keep: () => () => {} },
    signal: o.signal ?? new AbortController().signal,
  };
  return ctx;
}

/**
 * The daemon's job manager, as far as a service without a daemon needs it: the row is inserted and announced, and
 * nothing runs it (daemon/jobs.ts's submit adds the kind check and, for shared kinds, joining an open job).
 */
async function queueJob(ctx: DaemonContext, req: SubmitJobRequest, source: string): Promise<JobView> {
  const lane = KIND_LANES[req.kind];
  const row = await insertJob(ctx.store, { kind: req.kind, lane, productId: req.productId, params: req.params, source });
  ctx.events.emit('jobs:changed', { id: Number(row.id), kind: row.kind, status: 'queued' });
  return toJobView(row);
}

export function review(config: Config, product: string, i: number, body: string, rating = 4): NewReview {
  const bodyLen = codePoints(body);
  return {
    sourceKey: `test|${product}|${i}`,
    reviewId: `${product}-${i}`,
    productId: product,
    marketplace: 'amazon',
    rating,
    title: null,
    body,
    bodyHash: sha256(body),
    reviewDate: '2024-05-01',
    author: null,
    language: 'en',
    class: classify(body, rating, config.translate),
    bodyLen,
  };
}

const SENTENCES = [
  'The battery lasts two full days.',
  'Packaging was torn when it arrived.',
  'I wish it came in a bigger size.',
  'Great value compared to the brand name one.',
  'My kids use it every morning before school.',
  'The lid broke after a week.',
  'Tastes fresh and not too sweet.',
  'Delivery took longer than promised.',
];

/** Review bodies that differ from each other, of a chosen length class. */
export function bodyFor(i: number, kind: 'short' | 'standard' | 'long' = 'standard'): string {
  const a = SENTENCES[i % SENTENCES.length];
  const b = SENTENCES[(i * 3 + 1) % SENTENCES.length];
  if (kind === 'short') return `Item ${i}: ${a}`.slice(0, 48);
  if (kind === 'long')
    return `Review ${i}. ${a} ${b} ${SENTENCES[(i + 5) % SENTENCES.length]} Overall I am keeping it, number ${i}.`.padEnd(
      260,
      ' Still fine.',
    );
  return `Review ${i}. ${a} ${b}`;
}

export async function seed(
  config: Config,
  store: Store,
  product: string,
  n: number,
  kind: 'short' | 'standard' | 'long' = 'standard',
): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => review(config, product, i, bodyFor(i, kind), (i % 5) + 1));
  await insertReviews(store, rows);
}

export function userPayload(req: LlmRequest): Record<string, unknown> {
  return JSON.parse(req.messages[req.messages.length - 1].content) as Record<string, unknown>;
}
