import { describe, expect, it } from 'vitest';
import { checkNode } from '../../src/doctor/local.js';

describe('voc doctor: Node', () => {
  it('wants 20.12 or newer (the one-shot crypto.hash)', () => {
    expect(checkNode('20.12.0').status).toBe('ok');
    expect(checkNode('22.1.0').status).toBe('ok');
    const old = checkNode('20.11.1');
    expect(old.status).toBe('fail');
    expect(old.detail).toMatch(/Node 20\.11\.1 is too old: voc needs 20\.12 or newer/);
    expect(checkNode('18.20.0').status).toBe('fail');
  });
});
