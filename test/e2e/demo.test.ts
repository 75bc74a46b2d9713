import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { voc } from '../helpers/cli.js';
import { openStore } from '../../src/store/db.js';

const PRODUCTS = ['VOC-KETTLE-01', 'VOC-EARBUDS-02', 'VOC-TEA-03'];

describe('voc demo', () => {
  const h = tempHome('demo');
  afterAll(async () => {
    await voc(h.home, ['daemon', 'stop']);
    h.cleanup();
  });

  it('runs the whole job on embedded defaults: simulator marked, every review translated, reports of the three products', async () => {
    const r = await voc(h.home, ['demo', '--home', h.home], { timeout: 170_000 });
    expect(r.stderr).not.toMatch(/voc: |Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('LLM: SIMULATED');
    expect(r.stdout).toContain('[SIMULATED]'); // the final status frame carries the mark too
    for (const f of ['all-products.html', 'all-products.md']) {
      const file = path.join(h.home, 'reports', f);
      expect(r.stdout).toContain(file);
      const text = readFileSync(file, 'utf8');
      for (const p of PRODUCTS) expect(text).toContain(p);
      expect(text).toContain('SIMULATED'); // reports built on simulated answers say so
    }
    for (const p of PRODUCTS) expect(existsSync(path.join(h.home, 'reports', `${p}.html`))).toBe(true);
    // the hostile sample review is shown as text, never as markup
    expect(readFileSync(path.join(h.home, 'reports', 'VOC-TEA-03.html'), 'utf8')).not.toContain('<script>alert(1)</script>');

    const store = await openStore(testConfig(h.home));
    try {
      const byStatus = await store.knex('reviews').select('tr_status').count({ n: '*' }).groupBy('tr_status');
      const counts = Object.fromEntries(byStatus.map((row) => [row.tr_status, Number(row.n)]));
      expect(counts.pending ?? 0).toBe(0);
      expect(counts.failed ?? 0).toBe(0);
      expect((counts.done ?? 0) + (counts.skipped ?? 0)).toBe(311);
      const analysed = await store.knex('reviews').where({ ins_status: 'done', thm_status: 'done' }).count({ n: '*' }).first();
      expect(Number(analysed!.n)).toBe(311);
      const learned = await store.knex('products').where({ learn_status: 'done' }).count({ n: '*' }).first();
      expect(Number(learned!.n)).toBe(3);
    } finally {
      await store.close();
    }
  }, 180_000);
});

describe('voc demo with a real API key', () => {
  it('projects the spend and, without a terminal to ask, refuses to spend more than demo.maxSpend', async () => {
    const h = tempHome('demokey');
    try {
      writeFileSync(path.join(h.home, 'config.json'), JSON.stringify({ demo: { maxSpend: 0 } }));
      const r = await voc(h.home, ['demo', '--home', h.home], { env: { VOC_LLM_API_KEY: 'sk-demo-test-key-123' } });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /this demo calls https:\/\/dashscope\.aliyuncs\.com\/compatible-mode\/v1 \(model qwen-flash\): about \d+ calls, about [\d.]+ CNY/,
      );
      expect(r.stderr).toContain('the demo would spend more than demo.maxSpend (0 CNY)');
      expect(r.stdout + r.stderr).not.toContain('sk-demo-test-key-123');
      expect(existsSync(path.join(h.home, 'voc.sock'))).toBe(false); // nothing started, nothing spent
    } finally {
      h.cleanup();
    }
  });
});
