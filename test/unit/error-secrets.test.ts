import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { handleError } from '../../src/cli/output.js';
import { ConfigError, VocError } from '../../src/errors.js';
import { tempHome } from '../helpers/home.js';

/** What the error funnel writes to stderr for one error. */
function funnel(err: unknown): string {
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = process.exitCode;
  try {
    handleError(err);
    return spy.mock.calls.map((c) => String(c[0])).join('');
  } finally {
    spy.mockRestore();
    process.exitCode = code;
  }
}

describe('the error funnel never prints a secret, wherever it was configured', () => {
  const homes: Array<{ cleanup: () => void }> = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

  it('masks an API key set only in $VOC_HOME/config.json', () => {
    const h = tempHome();
    homes.push(h);
    const key = 'sk-only-in-config-file-7f3a9c';
    writeFileSync(path.join(h.home, 'config.json'), JSON.stringify({ llm: { apiKey: key } }));
    expect(loadConfig({ env: { VOC_HOME: h.home } }).llm.apiKey).toBe(key);
    const out = funnel(new VocError('BAD_INPUT', `provider said: invalid key ${key}`, { hint: `check ${key}` }));
    expect(out).toContain('invalid key ***');
    expect(out).not.toContain(key);
    expect(funnel(new Error(`boom ${key}`))).not.toContain(key);
  });

  it('masks the key and a database password of a config that fails validation', () => {
    const h = tempHome();
    homes.push(h);
    const key = 'sk-invalid-config-2b8e41';
    const url = 'postgres://voc:pw-in-file-93d1@127.0.0.1:5432/voc';
    writeFileSync(path.join(h.home, 'config.json'), JSON.stringify({ llm: { apiKey: key, qps: 'fast' }, store: { databaseUrl: url } }));
    let err: unknown;
    try {
      loadConfig({ env: { VOC_HOME: h.home } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const out = funnel(new VocError('BAD_INPUT', `cannot use ${key} with password pw-in-file-93d1`));
    expect(out).not.toContain(key);
    expect(out).not.toContain('pw-in-file-93d1');
  });
});
