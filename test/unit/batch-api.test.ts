import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/llm/simulator/index.js';
import type { BatchSimOptions } from '../../src/llm/simulator/batch.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBatchApi, readAnswers } from '../../src/llm/batch-api.js';
import { batchRequest, singleRequest } from '../../src/llm/prompts/translate.js';
import { simTranslation } from '../../src/llm/tasks.js';
import type { BatchAnswer, BatchApi, RemoteBatch } from '../../src/llm/types.js';

/** The simulator's Batch API through the client the daemon uses (openai SDK). */
describe('Batch API: simulator and client', () => {
  let sim: Simulator;
  afterEach(async () => sim && (await sim.close()));

  async function setup(batch: BatchSimOptions, prefix = ''): Promise<BatchApi> {
    sim = await startSimulator({ port: 0, latencyMs: 0, seed: 3, batch });
    const baseURL = prefix ? sim.url.replace(/\/v1$/, `${prefix}/v1`) : sim.url;
    return createBatchApi({ apiKey: 'sk-test', baseURL, timeoutMs: 5000, model: 'qwen-flash', simulated: true, scrub: (s) => s });
  }

  const jsonl = (api: BatchApi, n: number) =>
    Array.from({ length: n }, (_, i) =>
      i % 2
        ? api.line(`c${i}`, batchRequest({ r1: `text ${i} a`, r2: `text ${i} b` }, 'zh-CN', { lane: 'translation' }))
        : api.line(`c${i}`, singleRequest(`text ${i}`, 'zh-CN', { lane: 'translation' })),
    ).join('\n');

  /** an output or error file, downloaded to disk and read back line by line, as the daemon does */
  async function answersOf(api: BatchApi, fileId: string): Promise<{ answers: BatchAnswer[]; bad: string[] }> {
    const dir = mkdtempSync(path.join(tmpdir(), 'voc-ba-'));
    try {
      const file = path.join(dir, 'out.jsonl');
      await api.download(fileId, file);
      const out = { answers: [] as BatchAnswer[], bad: [] as string[] };
      for await (const got of readAnswers(file, api.simulated)) {
        if ('bad' in got) out.bad.push(got.bad);
        else out.answers.push(got.answer);
      }
      return out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async function until(api: BatchApi, id: string): Promise<RemoteBatch> {
    for (let i = 0; i < 200; i++) {
      const b = await api.retrieve(id);
      if (['completed', 'expired', 'cancelled', 'failed'].includes(b.status)) return b;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('batch never finished');
  }

  it('uploads, creates, completes; every answer belongs to its custom_id, lines come back out of order', async () => {
    const api = await setup({ completionMs: 200 }, '/compatible-mode');
    const fileId = await api.upload('voc-1.jsonl', jsonl(api, 40));
    const created = await api.create(fileId, 'tag-1');
    expect(['validating', 'in_progress']).toContain(created.status);
    const done = await until(api, created.id);
    expect(done).toMatchObject({ status: 'completed', total: 40, completed: 40, failed: 0, errorFileId: null });
    const { answers, bad } = await answersOf(api, done.outputFileId!);
    expect(bad).toEqual([]);
    expect(answers.map((a) => a.customId)).not.toEqual(
      answers.map((a) => a.customId).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
    );
    for (const a of answers) {
      if (!a.ok) throw new Error('unexpected failure');
      const i = Number(a.customId.slice(1));
      if (i % 2) expect(JSON.parse(a.content)).toEqual({ r1: simTranslation(`text ${i} a`), r2: simTranslation(`text ${i} b`) });
      else expect(a.content).toBe(simTranslation(`text ${i}`));
    }
    expect(sim.stats().batch).toMatchObject({ uploads: 1, batches: 1, lines: 40 });
    expect(sim.stats().requests).toBe(0); // no realtime call
  });

  it('recovery finds the earlier upload and batch instead of making a second', async () => {
    const api = await setup({ completionMs: 50 });
    const fileId = await api.upload('voc-7-abc.jsonl', jsonl(api, 4));
    expect(await api.upload('voc-7-abc.jsonl', jsonl(api, 4), { recover: true })).toBe(fileId);
    const b = await api.create(fileId, 'tag-7');
    expect((await api.create(fileId, 'tag-7', { recover: true })).id).toBe(b.id);
    expect(sim.stats().batch).toMatchObject({ uploads: 1, batches: 1 });
  });

  it('failed and malformed lines, expiry with part done, rogue ids, cancel keeps the finished part', async () => {
    let api = await setup({ completionMs: 100, failRate: 0.2, malformedRate: 0.2, rogueLines: true });
    let b = await until(api, (await api.create(await api.upload('a.jsonl', jsonl(api, 50)), 't')).id);
    expect(b.failed).toBeGreaterThan(0);
    const out = await answersOf(api, b.outputFileId!);
    const err = await answersOf(api, b.errorFileId!);
    expect(err.answers.every((a) => !a.ok)).toBe(true);
    expect(out.answers.some((a) => a.ok && a.content.startsWith('Sure!'))).toBe(true);
    expect(out.answers.some((a) => a.customId.endsWith('-unknown'))).toBe(true);
    await sim.close();

    api = await setup({ completionMs: 100, expireAfterShare: 0.5 });
    b = await until(api, (await api.create(await api.upload('b.jsonl', jsonl(api, 10)), 't')).id);
    expect(b).toMatchObject({ status: 'expired', completed: 5 });
    expect((await answersOf(api, b.errorFileId!)).answers.filter((a) => !a.ok && /expired/.test(a.error))).toHaveLength(5);
    await sim.close();

    api = await setup({ completionMs: 400 });
    const c = await api.create(await api.upload('c.jsonl', jsonl(api, 100)), 't');
    await new Promise((r) => setTimeout(r, 150));
    await api.cancel(c.id);
    b = await until(api, c.id);
    expect(b.status).toBe('cancelled');
    expect(b.completed).toBeGreaterThan(0);
    expect(b.completed).toBeLessThan(100);
    expect((await answersOf(api, b.outputFileId!)).answers).toHaveLength(b.completed);
  });

  it('a rejected upload is an error with the status; a bad line fails the batch with the reason', async () => {
    let api = await setup({ rejectUploads: true });
    await expect(api.upload('x.jsonl', jsonl(api, 2))).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/Batch API upload: 400/),
    });
    await sim.close();
    api = await setup({ completionMs: 10 });
    const b = await until(api, (await api.create(await api.upload('y.jsonl', jsonl(api, 2) + '\n{"custom_id":"c0"}'), 't')).id);
    expect(b.status).toBe('failed');
    expect(b.errors[0]).toMatch(/line 3: duplicate_custom_id/);
  });
});
