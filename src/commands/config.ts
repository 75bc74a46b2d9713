import type { Command } from 'commander';
import { redact } from '../config/redact.js';
import { configSchema, type Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { usesSimulator, loadDefaults } from '../config/load.js';
import { configReferenceMarkdown, describeOptions } from '../config/describe.js';

export function runConfig(cfg: Config): Record<string, unknown> {
  return { ...redact(cfg), simulated: usesSimulator(cfg) } as Record<string, unknown>;
}

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('print the effective configuration (defaults <- config file <- environment <- flags), secrets redacted')
    .option('--json', 'machine-readable output')
    .option('--options', 'list every option with its default and meaning')
    .option('--reference', 'print the configuration reference as a Markdown table (the README section)')
    .addHelpText(
      'after',
      () =>
        '\nOptions of config/default.json:\n' +
        describeOptions(configSchema, loadDefaults())
          .map((o) => `  ${o.path} = ${o.default}\n      ${o.description}`)
          .join('\n'),
    )
    .action((opts: { json?: boolean; options?: boolean; reference?: boolean }, cmd: Command) => {
      if (opts.reference) {
        process.stdout.write(configReferenceMarkdown(configSchema, loadDefaults()) + '\n');
        return;
      }
      if (opts.options) {
        for (const o of describeOptions(configSchema, loadDefaults()))
          process.stdout.write(`${o.path} = ${o.default}  # ${o.description}\n`);
        return;
      }
      const cfg = configFor(cmd);
      const out = runConfig(cfg);
      if (opts.json || globals(cmd).json) printJson(out);
      else process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    });
}
