import type { Command } from 'commander';
import type { Config, LaneName } from '../config/schema.js';
import { LANES } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { VocError } from '../errors.js';
import { connectDaemon } from '../daemon/client.js';
import type { DaemonClient } from '../daemon/api.js';

export function checkLane(name: string): LaneName {
  if (!(LANES as readonly string[]).includes(name)) {
    throw new VocError('UNKNOWN_LANE', `no lane "${name}"`, { hint: `lanes: ${LANES.join(', ')}` });
  }
  return name as LaneName;
}

/** Pause or resume a lane: queued work waits, nothing is lost, the switch survives a restart. */
export async function runLaneSwitch(
  config: Config,
  lane: string,
  paused: boolean,
  deps: { client?: DaemonClient; configFile?: string } = {},
): Promise<{ lane: LaneName; paused: boolean }> {
  const l = checkLane(lane);
  const client = deps.client ?? (await connectDaemon(config, { autostart: true, configFile: deps.configFile }));
  return paused ? client.pause(l) : client.resume(l);
}

export function registerPause(program: Command): void {
  program
    .command('pause')
    .argument('<lane>', `one of ${LANES.join(', ')}`)
    .description('pause a lane: its queued jobs wait and no new one starts (survives a daemon restart)')
    .option('--json', 'machine-readable output')
    .action(async (lane: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await runLaneSwitch(configFor(cmd), lane, true, { configFile: globals(cmd).config });
      if (opts.json || globals(cmd).json) printJson(r);
      else process.stdout.write(`lane ${r.lane} paused\n`);
    });
}
