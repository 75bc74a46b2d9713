import { describe, expect, it } from 'vitest';
import { readTranslations } from '../../src/translate/call.js';
import { InvalidAnswerError } from '../../src/llm/keyed.js';

describe('reading a translation answer', () => {
  it('gives the values of a keyed answer in key order, trimmed', () => {
    expect(readTranslations('{"r2": " 第二 ", "r1": "第一\\n"}', 2, false)).toEqual(['第一', '第二']);
    expect(readTranslations('```json\n{"r1": "一"}\n```', 1, false)).toEqual(['一']);
  });

  it('refuses an empty, blank or non-string value, naming the key', () => {
    expect(() => readTranslations('{"r1": "好", "r2": "  "}', 2, false)).toThrow('answer for r2 is invalid: empty translation');
    expect(() => readTranslations('{"r1": "", "r2": "好"}', 2, false)).toThrow('answer for r1 is invalid: empty translation');
    expect(() => readTranslations('{"r1": 42}', 1, false)).toThrow('answer for r1 is invalid: Expected string, received number');
    expect(() => readTranslations('{"r1": null}', 1, false)).toThrow(/received null/);
    expect(() => readTranslations('{"r1": ["a"]}', 1, false)).toThrow(/received array/);
    expect(() => readTranslations('{"r1": {"zh": "好"}}', 1, false)).toThrow(InvalidAnswerError);
  });

  it('refuses a missing or extra key, and an answer that is not a JSON object', () => {
    expect(() => readTranslations('{"r1": "好"}', 2, false)).toThrow('answer misses key r2');
    expect(() => readTranslations('{"r1": "好", "r2": "好", "r3": "多"}', 2, false)).toThrow(/unexpected key "r3"/);
    expect(() => readTranslations('好的', 1, false)).toThrow('answer is not JSON');
  });

  it('takes a vip answer (one text, plain) as it is, trimmed, and refuses a blank one', () => {
    expect(readTranslations('  到手即坏。 \n', 1, true)).toEqual(['到手即坏。']);
    expect(() => readTranslations(' \n', 1, true)).toThrow('empty translation');
  });
});
