import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, usesSimulator } from '../../src/config/load.js';
import { redact, scrubText } from '../../src/config/redact.js';
import { ConfigError } from '../../src/errors.js';
import { tempHome } from '../helpers/home.js';

describe('configuration layers', () => {
  it('defaults hold the seed numbers: caps 4/50/100/100/100, 25 QPS, 1/5/20 batches', () => {
    const h = tempHome();
    const cfg = loadConfig({ env: { VOC_HOME: h.home } });
    expect(Object.fromEntries(Object.entries(cfg.pools).map(([k, v]) => [k, v!.cap]))).toEqual({
      base: 4,
      vip: 50,
      trans: 100,
      insight: 100,
      theme: 100,
    });
    expect(cfg.llm.qps).toBe(25);
    expect(cfg.translate.batchSize).toEqual({ vip: 1, standard: 5, short: 20 });
    expect(cfg.lanes.learning!.pools).toEqual(['vip', 'insight', 'theme']);
    expect(cfg.beat.drainIngestBufferMs).toBe(5000);
    expect(cfg.beat.checkPendingTranslationsMs).toBe(15000);
    h.cleanup();
  });

  it('file < environment < flags', () => {
    const h = tempHome();
    writeFileSync(
      path.join(h.home, 'config.json'),
      JSON.stringify({ llm: { qps: 10, model: 'qwen-plus' }, translate: { batchSize: { short: 30 } } }),
    );
    const fromFile = loadConfig({ env: { VOC_HOME: h.home } });
    expect(fromFile.llm.qps).toBe(10);
    expect(fromFile.translate.batchSize).toEqual({ vip: 1, standard: 5, short: 30 });
    const fromEnv = loadConfig({ env: { VOC_HOME: h.home, VOC_QPS: '20', VOC_LLM_MODEL: 'qwen-turbo' } });
    expect(fromEnv.llm.qps).toBe(20);
    expect(fromEnv.llm.model).toBe('qwen-turbo');
    const fromFlags = loadConfig({ env: { VOC_HOME: h.home, VOC_QPS: '20' }, overrides: { 'llm.qps': 5 } });
    expect(fromFlags.llm.qps).toBe(5);
    h.cleanup();
  });

  it('a bad value gets one line naming the option, the value and what is allowed', () => {
    const h = tempHome();
    expect(() => loadConfig({ env: { VOC_HOME: h.home, VOC_QPS: '-3' } })).toThrow(
      /invalid config: llm\.qps = -3: Number must be greater than or equal to 0\.1/,
    );
    expect(() => loadConfig({ env: { VOC_HOME: h.home }, overrides: { 'pools.vip.cap': 0 } })).toThrow(ConfigError);
    writeFileSync(path.join(h.home, 'config.json'), '{ not json');
    expect(() => loadConfig({ env: { VOC_HOME: h.home } })).toThrow(/config\.json is not a JSON object/);
    h.cleanup();
  });

  it('an option the config file misspells is refused with the option it meant, not dropped', () => {
    const h = tempHome();
    const file = path.join(h.home, 'config.json');
    const refused = (json: unknown) => {
      writeFileSync(file, JSON.stringify(json));
      try {
        loadConfig({ env: { VOC_HOME: h.home } });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return err as ConfigError;
      }
      throw new Error('expected the config to be refused');
    };
    const typo = refused({ llm: { qsp: 30 } });
    expect(typo.message).toBe(`invalid config: ${file} sets llm.qsp, which is not an option`);
    expect(typo.hint).toMatch(/^did you mean llm\.qps\?/);
    expect(refused({ analysis: { autolearn: true }, beat: { nope: 1 } }).message).toMatch(
      /sets analysis\.autolearn, .* \(and beat\.nope\)/,
    );
    // inside a record (a model's price), the entry's own fields are checked
    expect(refused({ llm: { prices: { 'my-model': { input: 1, output: 2, inptu: 3 } } } }).message).toMatch(/llm\.prices\.my-model\.inptu/);
    writeFileSync(
      file,
      JSON.stringify({ llm: { qps: 20, prices: { 'my-model': { input: 1, output: 2 } } }, analysis: { autoLearn: true } }),
    );
    const cfg = loadConfig({ env: { VOC_HOME: h.home } });
    expect(cfg.llm.qps).toBe(20);
    expect(cfg.llm.prices['my-model']).toMatchObject({ input: 1, output: 2 });
    h.cleanup();
  });

  it('lanes and pools must agree', () => {
    const h = tempHome();
    expect(() => loadConfig({ env: { VOC_HOME: h.home }, overrides: { 'pools.base.lanes': ['ingestion'] } })).toThrow(
      /lanes\.reports\.pools lists "base"/,
    );
    h.cleanup();
  });

  it('a lease must outlive three heartbeats', () => {
    const h = tempHome();
    const load = (heartbeatMs: number, leaseMs: number) =>
      loadConfig({ env: { VOC_HOME: h.home }, overrides: { 'daemon.heartbeatMs': heartbeatMs, 'daemon.leaseMs': leaseMs } });
    expect(load(5000, 15000).daemon.leaseMs).toBe(15000);
    expect(() => load(5000, 10000)).toThrow(/daemon\.heartbeatMs \(5000\) must be at most a third of daemon\.leaseMs \(10000\)/);
    h.cleanup();
  });

  it('the simulator answers only when no key is set and the endpoint is the default', () => {
    const h = tempHome();
    expect(usesSimulator(loadConfig({ env: { VOC_HOME: h.home } }))).toBe(true);
    expect(usesSimulator(loadConfig({ env: { VOC_HOME: h.home, DASHSCOPE_API_KEY: 'sk-abc123456' } }))).toBe(false);
    expect(usesSimulator(loadConfig({ env: { VOC_HOME: h.home, VOC_LLM_BASE_URL: 'http://127.0.0.1:8787/v1' } }))).toBe(false);
    h.cleanup();
  });

  it('secrets are redacted: API key, database password', () => {
    const h = tempHome();
    const cfg = loadConfig({
      env: { VOC_HOME: h.home, OPENAI_API_KEY: 'sk-topsecret999', VOC_DATABASE_URL: 'postgres://voc:hunter22@db:5432/voc' },
    });
    const text = JSON.stringify(redact(cfg));
    expect(text).not.toContain('sk-topsecret999');
    expect(text).not.toContain('hunter22');
    expect(text).toContain('postgres://voc:***@db:5432/voc');
    expect(scrubText('failed: key sk-topsecret999 at postgres://voc:hunter22@db/voc', ['sk-topsecret999'])).toBe(
      'failed: key *** at postgres://voc:***@db/voc',
    );
    h.cleanup();
  });
});
