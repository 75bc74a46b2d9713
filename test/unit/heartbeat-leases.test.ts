import { describe, expect, it } from 'vitest';
import { createLeases } from '../../src/daemon/heartbeat.js';

/** lets the renewals started by renewDue settle */
const settle = () => new Promise((r) => setImmediate(r));

describe('leases kept by the heartbeat', () => {
  it('a lease is renewed on the last beat before a third of it has passed, until it is let go', async () => {
    const leases = createLeases({ leaseMs: 900, beatMs: 100 });
    let renewals = 0;
    const t0 = Date.now();
    const letGo = leases.keep(async () => void renewals++);
    leases.renewDue(t0 + 100);
    leases.renewDue(t0 + 200); // the next beat (300) is still within a third (300)
    expect(renewals).toBe(0);
    leases.renewDue(t0 + 250); // the next beat would be past it
    await settle();
    expect(renewals).toBe(1);
    leases.renewDue(t0 + 350);
    await settle();
    expect(renewals).toBe(1);
    leases.renewDue(t0 + 500);
    await settle();
    expect(renewals).toBe(2);
    letGo();
    leases.renewDue(t0 + 10_000);
    await settle();
    expect(renewals).toBe(2);
  });

  it('beats further apart than a third of a lease renew it on every beat', async () => {
    const leases = createLeases({ leaseMs: 900, beatMs: 500 });
    let renewals = 0;
    const t0 = Date.now();
    leases.keep(async () => void renewals++);
    for (let i = 1; i <= 3; i++) {
      leases.renewDue(t0 + i * 500);
      await settle();
    }
    expect(renewals).toBe(3);
  });

  it('one renewal of a lease at a time, a failed one is tried again at the next beat, and one hanging does not hold up another', async () => {
    const leases = createLeases({ leaseMs: 900, beatMs: 500 });
    let hung = 0;
    let failing = 0;
    let fine = 0;
    leases.keep(() => (hung++, new Promise(() => {})));
    leases.keep(async () => {
      failing++;
      throw new Error('Redis is down');
    });
    leases.keep(async () => void fine++);
    const t0 = Date.now();
    for (let i = 1; i <= 3; i++) {
      leases.renewDue(t0 + i * 500);
      await settle();
    }
    expect({ hung, failing, fine }).toEqual({ hung: 1, failing: 3, fine: 3 });
  });
});
