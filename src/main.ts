import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { handleError } from './cli/output.js';
import { registerCommands } from './commands/index.js';

// read beside dist/ rather than through config/load.js: --version must not load zod and the config schema
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;

/** The program with the commands argv needs registered (all of them when argv names none; see commands/index.ts). */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command();
  program
    .name('voc')
    .description('Voice-of-customer review processing: ingest, translate, learn, analyse and report under one global LLM rate limit')
    .version(version, '-V, --version')
    .option('--config <file>', 'configuration file (default: $VOC_HOME/config.json)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run `voc --help` for the list of commands)')
    .exitOverride();
  await registerCommands(program, argv);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  // `voc | head` closes the pipe early: that is the reader's choice, not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return;
    }
    await program.parseAsync(argv);
  } catch (err) {
    handleError(err);
  }
}

await main(process.argv);
