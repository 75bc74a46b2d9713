import { configSources, loadConfig, type LoadOptions } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { scrubText } from '../config/redact.js';
import { errorMessage, VocError } from '../errors.js';
import { checkConfigSources, checkDisk, checkNode, checkPermissions } from './local.js';
import { checkProvider, type ProviderOptions } from './provider.js';
import { checkRedis, checkStore } from './services.js';
import { fail, skip, type Check } from './types.js';

export type { Check } from './types.js';

export interface DoctorReport {
  ok: boolean;
  checks: Check[];
}

export interface DoctorDeps extends ProviderOptions {
  load: LoadOptions;
  /** the daemon's socket path for a home (the daemon layer knows the file names) */
  socketPath: (home: string) => string;
}

/** Secrets the report must never show, whatever an error message carried. */
function secretsOf(config: Config | null): string[] {
  const out: string[] = [];
  if (config?.llm.apiKey) out.push(config.llm.apiKey);
  for (const url of [config?.store.databaseUrl, config?.redis.url]) {
    try {
      if (url && new URL(url).password) out.push(decodeURIComponent(new URL(url).password));
    } catch {
      // not a URL: nothing to hide
    }
  }
  return out;
}

/**
 * Every check, in the order a person fixes things: this machine, the config, the home, the store, Redis, the
 * provider. A check that cannot run because an earlier one failed is skipped, not failed twice.
 */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const checks: Check[] = [checkNode()];
  let config: Config | null = null;
  try {
    config = loadConfig(deps.load);
    checks.push(checkConfigSources(configSources(deps.load)));
  } catch (err) {
    const e = err as VocError;
    checks.push(fail('config', errorMessage(err), e.hint ?? 'fix the option named above in $VOC_HOME/config.json or the environment'));
  }
  if (config) {
    checks.push(...checkPermissions(config.home, deps.socketPath(config.home)), checkDisk(config));
    const guard = async (name: string, run: () => Promise<Check[]>): Promise<Check[]> => {
      try {
        return await run();
      } catch (err) {
        return [fail(name, errorMessage(err), `see the message above; rerun voc doctor after fixing it`)];
      }
    };
    let live = 0;
    checks.push(
      ...(await guard('store', async () => {
        const r = await checkStore(config!);
        live = r.liveDaemons;
        return r.checks;
      })),
    );
    checks.push(...(await guard('redis', () => checkRedis(config!, live))));
    checks.push(...(await guard('endpoint', () => checkProvider(config!, deps))));
  } else {
    checks.push(skip('store', 'config invalid'), skip('redis', 'config invalid'), skip('endpoint', 'config invalid'));
  }
  const secrets = secretsOf(config);
  const clean = checks.map((c) => ({ ...c, detail: scrubText(c.detail, secrets), ...(c.fix ? { fix: scrubText(c.fix, secrets) } : {}) }));
  return { ok: clean.every((c) => c.status !== 'fail'), checks: clean };
}
