import { describe, expect, it } from 'vitest';
import { drainEta } from '../../src/daemon/stats.js';

describe('backlog ETA', () => {
  it('is the remaining backlog over the drain rate since the backlog last grew', () => {
    const samples = [
      { at: 0, pending: 0 },
      { at: 2000, pending: 3000 }, // an ingest
      { at: 4000, pending: 2900 },
      { at: 12000, pending: 2500 }, // 500 in 10 s: 50/s
    ];
    expect(drainEta(samples, 2500)).toBe(50);
  });

  it('is unknown while idle, right after new work arrived, or while nothing drains', () => {
    expect(drainEta([{ at: 0, pending: 10 }], 10)).toBeNull();
    expect(
      drainEta(
        [
          { at: 0, pending: 0 },
          { at: 1000, pending: 0 },
        ],
        0,
      ),
    ).toBeNull();
    expect(
      drainEta(
        [
          { at: 0, pending: 10 },
          { at: 1000, pending: 500 },
        ],
        500,
      ),
    ).toBeNull();
    expect(
      drainEta(
        [
          { at: 0, pending: 500 },
          { at: 1000, pending: 500 },
        ],
        500,
      ),
    ).toBeNull();
  });
});
