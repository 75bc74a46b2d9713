import { describe, expect, it } from 'vitest';
import { attemptInit, permitFetch, type AttemptContext } from '../../src/llm/permit-fetch.js';
import { PriorityDispatcher } from '../../src/llm/throttle/dispatcher.js';
import type { PermitSource } from '../../src/llm/throttle/types.js';

const source: PermitSource = {
  kind: 'local',
  take: async () => ({ wired: () => {}, release: () => {} }),
  rate: () => 25,
  on429: async () => null,
  healthy: () => true,
  close: () => {},
};

describe('permit fetch', () => {
  it("an attempt's timeout is cleared once the attempt is over, and still fires for one that is not", async () => {
    const d = new PriorityDispatcher(source);
    const signals: AbortSignal[] = [];
    const f = permitFetch(d, 50, async (_input, init) => {
      signals.push(init!.signal!);
      return new Response('{}');
    });
    const attempt = async () => {
      const ctx: AttemptContext = { priority: 1, lane: 'translation', onStart: () => {} };
      await (await f('http://provider.invalid/v1/chat/completions', attemptInit(ctx))).text();
      return ctx;
    };
    const over = await attempt();
    await attempt(); // its caller never says it is over: the body could still be streaming
    over.ended?.();
    // a cleared timer holds nothing: the timer, its controller and closures of a finished request are let go
    await new Promise((r) => setTimeout(r, 120));
    expect(signals.map((s) => s.aborted)).toEqual([false, true]);
    d.close();
  });
});
