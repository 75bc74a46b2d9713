import type { Command } from 'commander';
import { globals } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import type { DoctorReport } from '../doctor/index.js';

export interface DoctorOptions {
  json?: boolean;
  call?: boolean;
}

const MARK: Record<string, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: '-   ' };

/** One line per check; under each warning or failure, one line of what to do. */
export function formatDoctor(r: DoctorReport): string {
  const lines: string[] = [];
  for (const c of r.checks) {
    lines.push(`${MARK[c.status]} ${c.name.padEnd(10)} ${c.detail}`);
    if (c.fix) lines.push(`     ${''.padEnd(10)} -> ${c.fix}`);
  }
  const fails = r.checks.filter((c) => c.status === 'fail').length;
  const warns = r.checks.filter((c) => c.status === 'warn').length;
  lines.push(
    fails
      ? `${fails} to fix${warns ? `, ${warns} warning${warns > 1 ? 's' : ''}` : ''}`
      : `all good${warns ? ` (${warns} warning${warns > 1 ? 's' : ''})` : ''}`,
  );
  return lines.join('\n') + '\n';
}

/** `voc doctor`: exit 0 when nothing fails, 1 otherwise. Heavy modules load only when it runs. */
export async function runDoctorCommand(o: DoctorOptions, cmd: Command): Promise<DoctorReport> {
  const { runDoctor } = await import('../doctor/index.js');
  const { homePaths } = await import('../daemon/lifecycle.js');
  const report = await runDoctor({
    load: { configFile: globals(cmd).config },
    socketPath: (home) => homePaths(home).socket,
    call: o.call,
    // the price of --call is said before the call is made; on stderr under --json so stdout stays one document
    onNotice: (line) => (o.json ? process.stderr : process.stdout).write(line + '\n'),
  });
  if (o.json) printJson(report);
  else process.stdout.write(formatDoctor(report));
  if (!report.ok) process.exitCode = 1;
  return report;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check Node, config, home, store, Redis and the LLM provider (key, region, model); exit 1 when something needs fixing')
    .option('--call', 'also make one tiny chat call in JSON mode (its cost is printed first)')
    .option('--json', 'machine-readable output')
    .action(async (opts: DoctorOptions, cmd: Command) => {
      await runDoctorCommand({ ...opts, json: opts.json || globals(cmd).json }, cmd);
    });
}
