import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every command: its name and how to load its module; one file per command. Add a command with ONE line here.
 * Modules are imported only when needed: `voc ingest` loads the ingest command alone instead of ink, react, the
 * daemon, the gateway and every report (half of its memory was module loading). Help, an unknown name or no name
 * loads them all, so `voc --help` still lists every command.
 */
const COMMANDS: Array<[name: string, load: () => Promise<Register>]> = [
  ['config', async () => (await import('./config.js')).registerConfig],
  ['daemon', async () => (await import('./daemon.js')).registerDaemon],
  ['jobs', async () => (await import('./jobs.js')).registerJobs],
  ['pause', async () => (await import('./pause.js')).registerPause],
  ['resume', async () => (await import('./resume.js')).registerResume],
  ['ingest', async () => (await import('./ingest.js')).registerIngest],
  ['status', async () => (await import('./status.js')).registerStatus],
  ['report', async () => (await import('./report.js')).registerReport],
  ['sim', async () => (await import('./sim.js')).registerSim],
  ['learn', async () => (await import('./learn.js')).registerLearn],
  ['analyze', async () => (await import('./analyze.js')).registerAnalyze],
  ['translate-pending', async () => (await import('./translate-pending.js')).registerTranslatePending],
  ['estimate', async () => (await import('./estimate.js')).registerEstimate],
  ['export', async () => (await import('./export.js')).registerExport],
  ['demo', async () => (await import('./demo.js')).registerDemo],
  ['doctor', async () => (await import('./doctor.js')).registerDoctor],
];

/** Program-level options that take a value: the word after them is not the command name. */
const GLOBAL_WITH_VALUE = new Set(['--config']);

/** The command word of an argv (`node voc [--config F] NAME ...`), or null when there is none. */
export function commandName(argv: string[]): string | null {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return null;
}

/** Register the command argv names (only its module is loaded), or every command when argv names none we know. */
export async function registerCommands(program: Command, argv: string[] = []): Promise<void> {
  const name = commandName(argv);
  const chosen = COMMANDS.filter(([n]) => n === name);
  const registers = await Promise.all((chosen.length ? chosen : COMMANDS).map(([, load]) => load()));
  for (const register of registers) register(program);
}
