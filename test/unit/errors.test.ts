import { describe, expect, it } from 'vitest';
import { errorMessage, StoppingError, VocError } from '../../src/errors.js';

describe('errors', () => {
  it('errorMessage reads an Error, a thrown object with a message, and anything else as text', () => {
    expect(errorMessage(new TypeError('bad type'))).toBe('bad type');
    expect(errorMessage({ message: 'from a driver', code: 'E1' })).toBe('from a driver');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(null)).toBe('null');
    expect(errorMessage({ message: 42 })).toBe('[object Object]');
  });

  it('a stop is one error: a VocError with code STOPPING, whatever its message', () => {
    for (const err of [new StoppingError(), new StoppingError('the LLM gateway is closed')]) {
      expect(err).toBeInstanceOf(VocError);
      expect(err).toBeInstanceOf(StoppingError);
      expect(err.code).toBe('STOPPING');
      expect(err.name).toBe('StoppingError');
    }
  });
});
