import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/log.js';
import { tempHome, testConfig } from '../helpers/home.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('batch files left by a killed daemon', () => {
  it('are removed when the next daemon of the home starts (they hold review text)', async () => {
    const h = tempHome('bf');
    cleanups.push(() => h.cleanup());
    const dir = path.join(h.home, 'batches');
    mkdirSync(dir, { recursive: true });
    const left = [path.join(dir, 'voc-batch-3-ab12.out.jsonl'), path.join(dir, 'voc-translate-3-ab12.jsonl')];
    for (const f of left) writeFileSync(f, '{"custom_id":"r1","body":"a review text"}\n');
    const d = await startDaemon(testConfig(h.home, { overrides: { 'beat.checkPendingTranslations': false } }), {
      log: silentLogger,
      services: () => [],
    });
    cleanups.push(() => d.close());
    for (const f of left) expect(existsSync(f)).toBe(false);
  });
});
