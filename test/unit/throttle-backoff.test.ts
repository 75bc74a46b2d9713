import { describe, expect, it } from 'vitest';
import { lostSlotBackoffMs } from '../../src/llm/throttle/redis.js';

describe('the back-off of a daemon that lost a slot to another', () => {
  const seed: [number, number] = [100, 500];

  it("is the seed's random 0.1-0.5 s while the winner has that many slots to take", () => {
    expect(lostSlotBackoffMs(seed, 300, 41, () => 0)).toBe(100);
    expect(lostSlotBackoffMs(seed, 300, 41, () => 0.5)).toBe(300);
    expect(lostSlotBackoffMs(seed, 300, 41, () => 1)).toBe(500);
  });

  it('never outlasts the slots the winner will take: none when it has nothing queued', () => {
    expect(lostSlotBackoffMs(seed, 0, 41, () => 0.5)).toBe(0);
    expect(lostSlotBackoffMs(seed, 2, 41, () => 0.5)).toBe(82);
    expect(lostSlotBackoffMs(seed, -1, 41, () => 0.5)).toBe(0);
  });
});
