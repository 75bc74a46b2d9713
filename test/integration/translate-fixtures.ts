import { SafeEmitter, type VocEvents } from '../../src/events.js';
import { newCounters, type DaemonContext } from '../../src/context.js';
import { silentLogger } from '../../src/log.js';
import type { Config } from '../../src/config/schema.js';
import type { Store } from '../../src/store/db.js';
import type { Gateway, LlmRequest, LlmResult } from '../../src/llm/types.js';
import type { LaneTask, LaneRunner } from '../../src/lanes/types.js';
import type { NewReview } from '../../src/store/reviews.js';
import { classify } from '../../src/translate/classifier.js';
import { codePoints, sha256 } from '../../src/text.js';

/** Runs lane tasks at once, up to `cap` together (the trans pool in small). */
export function testLanes(cap = 100): LaneRunner & { peak: number } {
  let active = 0;
  const waiting: Array<() => void> = [];
  const lanes = {
    peak: 0,
    async submit<T>(task: LaneTask<T>): Promise<T> {
      while (active >= cap) await new Promise<void>((r) => waiting.push(r));
      active++;
      lanes.peak = Math.max(lanes.peak, active);
      try {
        return await task.run({ pool: 'trans', signal: new AbortController().signal });
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
    queued: () => waiting.length,
    active: () => active,
    isPaused: () => false,
  };
  return lanes;
}

/**
 * A minimal OpenAI-compatible client for the simulator: one POST per call, 429 and 500 retried after the wait
 * the server names. Used where the real gateway is not needed (the service's own logic is under test).
 */
export function simGateway(url: string, model = 'qwen-flash'): Gateway & { requests: LlmRequest[] } {
  const requests: LlmRequest[] = [];
  return {
    requests,
    async complete(req: LlmRequest): Promise<LlmResult> {
      requests.push(req);
      const started = Date.now();
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-voc-task': req.task },
          body: JSON.stringify({ model, messages: req.messages, response_format: req.json ? { type: 'json_object' } : undefined }),
        });
        if ((res.status === 429 || res.status >= 500) && attempt < 20) {
          const wait = Number(res.headers.get('retry-after-ms') ?? 20);
          await res.text();
          await new Promise((r) => setTimeout(r, Math.min(wait, 200)));
          continue;
        }
        const body = (await res.json()) as {
          choices: Array<{ message: { content: string } }>;
          usage: { prompt_tokens: number; completion_tokens: number };
        };
        if (!res.ok) throw new Error(`simulator said ${res.status}`);
        return {
          content: body.choices[0].message.content,
          usage: { promptTokens: body.usage.prompt_tokens, completionTokens: body.usage.completion_tokens },
          cost: 0.001,
          model,
          simulated: true,
          attempts: attempt,
          latencyMs: Date.now() - started,
        };
      }
    },
    stats: () => {
      throw new Error('not used');
    },
    close: async () => {},
  };
}

export function testContext(
  config: Config,
  store: Store,
  gateway: Gateway,
  lanes: LaneRunner = testLanes(),
  daemonId = 'd1',
): DaemonContext & { lines: string[]; abort: AbortController } {
  const events = new SafeEmitter<VocEvents>();
  const lines: string[] = [];
  events.on('log:line', (e) => lines.push(e.text));
  const abort = new AbortController();
  return {
    config,
    log: silentLogger,
    store,
    redis: null,
    daemonId,
    events,
    gateway,
    lanes,
    counters: newCounters(),
    submitJob: () => Promise.reject(new Error('no job manager in this test')),
    leases: { keep: () => () => {} },
    signal: abort.signal,
    lines,
    abort,
  };
}

let seq = 0;
export function review(body: string, opts: { rating?: number; product?: string; title?: string | null; id?: string } = {}): NewReview {
  const id = opts.id ?? `t${++seq}`;
  const rating = opts.rating ?? 3;
  return {
    sourceKey: `test|${id}`,
    reviewId: id,
    productId: opts.product ?? 'P1',
    marketplace: 'test',
    rating,
    title: opts.title ?? null,
    body,
    bodyHash: sha256(body),
    reviewDate: '2024-05-01',
    author: null,
    language: 'en',
    class: classify(body, rating, { vipLength: 200, vipExtremeLength: 100, extremeRatings: [1, 5], shortMaxLength: 50 }),
    bodyLen: codePoints(body),
  };
}

/** An English text of exactly n code points, distinct per i. */
export function textOf(n: number, i: number): string {
  const head = `Review ${i} says `;
  const filler = 'the product works fine and arrived on time ';
  let s = head;
  while (s.length < n) s += filler;
  return s.slice(0, n - 1) + '.';
}

/** The seed's example: 10 vip, 30 standard, 60 short reviews, all different. */
export function seedExample(product = 'P1'): NewReview[] {
  const out: NewReview[] = [];
  for (let i = 0; i < 10; i++) out.push(review(textOf(250, i), { product, rating: 3 }));
  for (let i = 10; i < 40; i++) out.push(review(textOf(120, i), { product, rating: 3 }));
  for (let i = 40; i < 100; i++) out.push(review(textOf(40, i), { product, rating: 4 }));
  return out;
}
