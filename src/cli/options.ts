import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

/** Options every command accepts through the root program. */
export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Load the layered configuration for a command; flags are passed as dotted overrides. */
export function configFor(cmd: Command, overrides: Record<string, unknown> = {}): Config {
  const g = globals(cmd);
  return loadConfig({ configFile: g.config, overrides });
}
