import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import type { DaemonClient, Stats } from '../daemon/api.js';
import { DaemonUnavailableError, VocError } from '../errors.js';
import { configFor, globals } from '../cli/options.js';
import { isInteractive } from '../cli/output.js';
import { connectDaemon } from '../daemon/client.js';

export interface StatusOptions {
  once?: boolean;
  json?: boolean;
  width?: number;
  height?: number;
}

export interface StatusDeps {
  /** reach the running daemon; throws DaemonUnavailableError when none runs (status never starts one) */
  connect: () => Promise<Pick<DaemonClient, 'stats' | 'streamStats' | 'pause' | 'resume'>>;
  out?: NodeJS.WriteStream;
  /** live screen instead of one frame; defaults to "stdout is a terminal" */
  live?: boolean;
  /** colours; defaults to isInteractive (a terminal, no NO_COLOR, not CI) */
  color?: boolean;
}

const NO_DAEMON = 'no daemon is running (status never starts one); start it with `voc daemon start`';

/** The daemon's client, without autostart: status shows a daemon, it never starts one. */
export async function connectExisting(config: Config): Promise<DaemonClient> {
  return connectDaemon(config, { autostart: false });
}

/**
 * `voc status`: the stats object (--json), one plain frame (--once, or whenever stdout is not a terminal),
 * or the live screen. No daemon: one line and exit 2.
 */
export async function runStatus(opts: StatusOptions, deps: StatusDeps): Promise<Stats | null> {
  const out = deps.out ?? process.stdout;
  let client: Awaited<ReturnType<StatusDeps['connect']>>;
  try {
    client = await deps.connect();
  } catch (err) {
    // one line, no hint line: the message already says how to start it
    if (err instanceof DaemonUnavailableError) throw new VocError('DAEMON_UNAVAILABLE', NO_DAEMON, { exitCode: 2, cause: err });
    throw err;
  }
  // NO_COLOR takes the colours away, not the live screen
  const live = deps.live ?? (!!out.isTTY && process.env.TERM !== 'dumb');
  const color = deps.color ?? isInteractive(out);
  const stats = await client.stats();
  if (opts.json) {
    out.write(JSON.stringify(stats, null, 2) + '\n');
    return stats;
  }
  if (opts.once || !live) {
    const width = opts.width ?? (out.isTTY ? out.columns : undefined) ?? 80;
    const height = opts.height ?? (out.isTTY ? out.rows : undefined) ?? 24;
    // Ink and React load only when a frame is drawn, not on every `voc` start
    const { renderFrame } = await import('../tui/render.js');
    out.write(renderFrame(stats, { width, height, color }) + '\n');
    return stats;
  }
  // the screen pulls in React and Ink's renderer: load it only for the interactive case
  const { runLiveScreen } = await import('../tui/live.js');
  await runLiveScreen(client, { initial: stats, color });
  return stats;
}

function positive(name: string) {
  return (v: string): number => {
    const n = Number.parseInt(v, 10);
    if (!Number.isInteger(n) || n < 20 || n > 1000)
      throw new VocError('BAD_OPTION', `${name} must be an integer from 20 to 1000, got ${JSON.stringify(v)}`);
    return n;
  };
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('live view of lanes, pools, the LLM gateway, the classifier and the backlog (q quits, p+digit pauses a lane)')
    .option('--once', 'print one plain-text frame and exit (the default when stdout is not a terminal)')
    .option('--json', 'print the stats object (keys: lanes, pools, gateway, classifier, analysis, backlog, events, cluster)')
    .option('--width <cols>', 'frame width for --once (default: the terminal, else 80)', positive('--width'))
    .option('--height <rows>', 'frame height for --once (default: the terminal, else 24)', positive('--height'))
    .action(async (opts: StatusOptions, cmd: Command) => {
      const config = configFor(cmd);
      await runStatus({ ...opts, json: opts.json || globals(cmd).json }, { connect: () => connectExisting(config) });
    });
}
