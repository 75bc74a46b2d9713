import type { Command } from 'commander';
import { LANES } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { runLaneSwitch } from './pause.js';

export function registerResume(program: Command): void {
  program
    .command('resume')
    .argument('<lane>', `one of ${LANES.join(', ')}`)
    .description('resume a paused lane: its queued jobs start again')
    .option('--json', 'machine-readable output')
    .action(async (lane: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await runLaneSwitch(configFor(cmd), lane, false, { configFile: globals(cmd).config });
      if (opts.json || globals(cmd).json) printJson(r);
      else process.stdout.write(`lane ${r.lane} resumed\n`);
    });
}
