import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown } from '../../src/config/describe.js';
import { configSchema } from '../../src/config/schema.js';
import { loadDefaults, PACKAGE_ROOT } from '../../src/config/load.js';

describe('README configuration reference', () => {
  it('matches the schema and the defaults (regenerate with `voc config --reference`)', () => {
    const readme = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
    const m = /<!-- config-reference:start -->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(readme);
    expect(m, 'README has the config-reference markers').not.toBeNull();
    expect(m![1].trim()).toBe(configReferenceMarkdown(configSchema, loadDefaults()));
  });

  it('documents every option with a meaning', () => {
    const table = configReferenceMarkdown(configSchema, loadDefaults());
    for (const line of table.split('\n').slice(2)) expect(line).toMatch(/\| \S.* \|$/);
  });
});
