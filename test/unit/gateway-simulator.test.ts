import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runSim } from '../../src/commands/sim.js';
import { UnrecoverableError } from '../../src/errors.js';
import { createGateway } from '../../src/llm/gateway.js';
import { parseJsonObject, parseKeyedAnswer } from '../../src/llm/keyed.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/llm/simulator/index.js';
import { learnAnswer } from '../../src/domain.js';
import { insightsForReview, simTranslation, themesForReview } from '../../src/llm/tasks.js';
import { silentLogger } from '../../src/log.js';
import { tempHome, testConfig } from '../helpers/home.js';

const sims: Simulator[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
});
async function sim(opts: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ latencyMs: 0, limit: 1000, ...opts });
  sims.push(s);
  return s;
}

async function ask(s: Simulator, task: string | null, user: unknown, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${s.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(task ? { 'x-voc-task': task } : {}) },
    body: JSON.stringify({
      model: 'qwen-flash',
      messages: [
        { role: 'system', content: 'Answer in JSON.' },
        { role: 'user', content: typeof user === 'string' ? user : JSON.stringify(user) },
      ],
      ...extra,
    }),
  });
  const body = (await res.json()) as {
    model?: string;
    system_fingerprint?: string;
    usage?: { prompt_tokens: number };
    choices?: Array<{ message: { content: string } }>;
  };
  return { status: res.status, headers: res.headers, body, content: body.choices?.[0]?.message.content ?? '' };
}

const reviews = {
  r1: 'The battery is great. It broke after two weeks though! I wish it had a bigger screen.',
  r2: 'Works as described, fast delivery',
  r3: '质量很好，我很喜欢。',
};

describe('simulator answers', () => {
  it('translates a single text and every key of a batch, each with its own text', async () => {
    const s = await sim();
    expect((await ask(s, 'translate_single', 'Great product')).content).toBe(simTranslation('Great product'));
    const batch = await ask(s, 'translate_batch', reviews);
    const values = parseKeyedAnswer(batch.content, ['r1', 'r2', 'r3'], z.string().min(1));
    expect(values).toEqual(Object.values(reviews).map(simTranslation));
  });

  it('learns dimensions and 5W labels from the words of the reviews', async () => {
    const s = await sim();
    const r = await ask(s, 'learn', { product: 'Lamp', reviews: Object.values(reviews).map((text) => ({ rating: 4, text })) });
    const a = learnAnswer.parse(parseJsonObject(r.content));
    expect(a.dimensions.length).toBeGreaterThan(0);
    expect(a.labels.who.length).toBeGreaterThan(0);
    expect(JSON.stringify(a).toLowerCase()).toContain('battery');
  });

  it('extracts insights whose quotes are copied from their own review', async () => {
    const s = await sim();
    const r = await ask(s, 'insights', { dimensions: ['Battery', 'Screen'], max: 5, reviews });
    const answers = parseKeyedAnswer(r.content, ['r1', 'r2', 'r3'], insightsForReview);
    answers.forEach((items, i) => {
      const text = Object.values(reviews)[i];
      expect(items.length).toBeGreaterThanOrEqual(1);
      expect(items.length).toBeLessThanOrEqual(5);
      for (const it of items) {
        expect(text).toContain(it.quote);
        expect(['Battery', 'Screen', 'other']).toContain(it.dimension);
      }
    });
    const r1 = answers[0];
    expect(r1.find((x) => x.quote.includes('battery'))?.dimension).toBe('Battery');
    expect(r1.find((x) => x.quote.includes('broke'))?.sentiment).toBe('negative');
    expect(r1.find((x) => x.quote.includes('wish'))?.type).toBe('feature_request');
  });

  it('tags themes mostly from the given labels, sometimes with a new one', async () => {
    const s = await sim();
    const labels = { who: ['Parents'], what: ['Reading'], when: ['Night'], where: ['Bedroom'], why: ['Gift'] };
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`r${i + 1}`, `review number ${i} about a lamp`]));
    const r = await ask(s, 'themes', { labels, reviews: many });
    const answers = parseKeyedAnswer(r.content, Object.keys(many), themesForReview);
    const all = answers.flatMap((a) => [...a.who, ...a.what, ...a.when, ...a.where, ...a.why]);
    const known = new Set(Object.values(labels).flat());
    expect(all.filter((t) => known.has(t)).length).toBeGreaterThan(all.length / 2);
    expect(all.some((t) => !known.has(t))).toBe(true);
  });

  it('tells the task from the payload when no header says it', async () => {
    const s = await sim();
    await ask(s, null, { r1: 'a', r2: 'b' });
    await ask(s, null, { dimensions: ['X'], max: 2, reviews: { r1: 'Nice.' } });
    await ask(s, null, 'just a sentence');
    expect(s.stats().byTask).toEqual({ translate_batch: 1, insights: 1, translate_single: 1 });
  });

  it('says it is simulated and reports usage', async () => {
    const s = await sim();
    const r = await ask(s, 'translate_single', 'hello');
    expect(r.body.model).toBe('qwen-flash-simulated');
    expect(r.body.system_fingerprint).toBe('voc-simulator');
    expect(r.body.usage!.prompt_tokens).toBeGreaterThan(0);
    const models = (await (await fetch(`${s.url}/models`)).json()) as { data: unknown[] };
    expect(models.data.length).toBeGreaterThan(0);
  });
});

describe('simulator limits and faults', () => {
  it('answers 429 with retry-after-ms beyond its limit, counts every arrival and does not count rejected requests as accepted', async () => {
    const s = await sim({ limit: 5, latencyMs: 0 });
    const rs = await Promise.all(Array.from({ length: 8 }, () => ask(s, 'translate_single', 'x')));
    const limited = rs.filter((r) => r.status === 429);
    expect(limited).toHaveLength(3);
    expect(Number(limited[0].headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(s.stats()).toMatchObject({ requests: 8, accepted: 5, rejected429: 3, maxInWindow: 5, max_arrivals_in_1s: 8 });
    s.reset();
    expect(s.stats().requests).toBe(0);
  });

  it('refuses JSON mode when no message mentions JSON, as DashScope does', async () => {
    const s = await sim();
    const home = tempHome('gws');
    const gw = createGateway({ config: testConfig(home.home), log: silentLogger, redis: null, usage: null, baseUrl: s.url });
    try {
      await expect(
        gw.complete({ lane: 'translation', task: 'translate_batch', json: true, messages: [{ role: 'user', content: '{"r1":"a"}' }] }),
      ).rejects.toBeInstanceOf(UnrecoverableError);
      const r = await gw.complete({
        lane: 'translation',
        task: 'translate_batch',
        json: true,
        messages: [{ role: 'user', content: 'JSON: {"r1":"a"}' }],
      });
      expect(r.simulated).toBe(true);
      expect(r.model).toBe('qwen-flash-simulated');
    } finally {
      await gw.close();
      home.cleanup();
    }
  });

  it("leaves no abort listener behind on the caller's long-lived signal, however many calls it makes", async () => {
    const s = await sim();
    const home = tempHome('gwl');
    const gw = createGateway({ config: testConfig(home.home), log: silentLogger, redis: null, store: null, baseUrl: s.url });
    const daemonSignal = new AbortController().signal;
    try {
      for (let i = 0; i < 30; i++) {
        await gw.complete({
          lane: 'translation',
          task: 'translate_batch',
          json: true,
          signal: daemonSignal,
          messages: [{ role: 'user', content: `JSON: {"r1":"a${i}"}` }],
        });
      }
      // the SDK adds a listener per request and never removes it: on the daemon's signal that grew with every call
      expect(getEventListeners(daemonSignal, 'abort').length).toBeLessThanOrEqual(1);
    } finally {
      await gw.close();
      home.cleanup();
    }
  });

  it('injects malformed answers, missing keys and 500s by seeded rates', async () => {
    const bad = await sim({ malformedRate: 1 });
    const malformed = (await ask(bad, 'translate_batch', reviews)).content;
    expect(() => parseJsonObject(malformed)).toThrow();
    const drop = await sim({ dropKeyRate: 1 });
    const dropped = (await ask(drop, 'translate_batch', reviews)).content;
    expect(() => parseKeyedAnswer(dropped, ['r1', 'r2', 'r3'], z.string())).toThrow(/misses key r3/);
    const err = await sim({ errorRate: 1 });
    expect((await ask(err, 'translate_single', 'x')).status).toBe(500);
    expect(bad.stats().malformed).toBe(1);
    expect(drop.stats().droppedKeys).toBe(1);
    expect(err.stats().errors500).toBe(1);
  });

  it('hangs on demand and still closes', async () => {
    const s = await startSimulator({ hangRate: 1, latencyMs: 0 });
    const pending = fetch(`${s.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }),
    }).catch((e: Error) => e);
    const deadline = Date.now() + 5000;
    while (s.stats().hangs < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(s.stats().hangs).toBe(1);
    await s.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('voc sim', () => {
  it('starts the simulator with the config section and flags on top', async () => {
    const home = tempHome('gwc');
    try {
      const s = await runSim({ port: 0, limit: 7 }, { config: testConfig(home.home) });
      sims.push(s);
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(s.stats().limit).toBe(7);
      expect((await ask(s, 'translate_single', 'hi')).content).toBe(simTranslation('hi'));
    } finally {
      home.cleanup();
    }
  });
});
