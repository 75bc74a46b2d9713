import { describe, expect, it } from 'vitest';
import { LaneMetrics } from '../../src/lanes/metrics.js';
import { RequestLog } from '../../src/llm/request-log.js';

describe('windowed counters', () => {
  it('the live window and the 60 s history stay exact while old starts are cut off in bulk', () => {
    const log = new RequestLog();
    const starts: number[] = [];
    // 200 requests a second for 3 minutes, with a quiet minute in the middle, read now and then
    let t = 1_000_000;
    for (let s = 0; s < 180; s++) {
      const rate = s >= 60 && s < 120 ? 3 : 200;
      for (let i = 0; i < rate; i++) {
        t += 1000 / rate;
        log.started(t);
        starts.push(t);
      }
      if (s % 7 === 0 || s === 179) {
        const inLast = starts.filter((x) => x > t - 1000).length;
        expect(log.inLast(1000, t)).toBe(inLast);
        const history = new Array<number>(60).fill(0);
        for (const x of starts) {
          const age = Math.floor((t - x) / 1000);
          if (age >= 0 && age < 60) history[59 - age]++;
        }
        expect(log.history(t)).toEqual(history);
      }
    }
    expect(log.total).toBe(starts.length);
  });

  it("a lane's one-minute rate stays exact while old finishes are cut off in bulk", () => {
    const m = new LaneMetrics();
    const finishes: number[] = [];
    let t = 1_000_000;
    for (let s = 0; s < 180; s++) {
      const rate = s >= 60 && s < 120 ? 3 : 200;
      for (let i = 0; i < rate; i++) {
        t += 1000 / rate;
        m.record(i % 10 !== 0, 100, t);
        finishes.push(t);
      }
      if (s % 7 === 0 || s === 179) expect(m.ratePerMin(t)).toBe(finishes.filter((x) => x >= t - 60_000).length);
    }
    expect(m.done + m.failed).toBe(finishes.length);
  });
});
