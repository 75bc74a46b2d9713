import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

/** A throw-away VOC_HOME; short path so the unix socket path stays under 108 bytes. */
export function tempHome(tag = 'h'): { home: string; cleanup: () => void } {
  const home = mkdtempSync(path.join(tmpdir(), `voc-${tag}-`));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Config for tests: a temp home, optional database URL, flags as dotted overrides. No ambient env leaks in. */
export function testConfig(
  home: string,
  opts: { databaseUrl?: string | null; redisUrl?: string | null; overrides?: Record<string, unknown> } = {},
): Config {
  const env: NodeJS.ProcessEnv = { VOC_HOME: home };
  if (opts.databaseUrl) env.VOC_DATABASE_URL = opts.databaseUrl;
  if (opts.redisUrl) env.VOC_REDIS_URL = opts.redisUrl;
  return loadConfig({ env, overrides: opts.overrides });
}
