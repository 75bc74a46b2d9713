import { Help, type Command } from 'commander';

type Register = (program: Command) => void;

interface CommandEntry {
  name: string;
  /** what follows the name in the help's command list (commander's own term for the real command) */
  usage: string;
  /** the command's description, as its module sets it (a test keeps the two equal) */
  about: string;
  load: () => Promise<Register>;
}

/**
 * Every command: its help line and how to load its module; one file per command. Add a command with ONE entry
 * here. Modules are imported only when the command runs: `voc ingest` loads the ingest command alone, and
 * `voc --help` / `voc --version` load none (the list below is the help text), so they start as fast as node does.
 */
const COMMANDS: CommandEntry[] = [
  {
    name: 'config',
    usage: '[options]',
    about: 'print the effective configuration (defaults <- config file <- environment <- flags), secrets redacted',
    load: async () => (await import('./config.js')).registerConfig,
  },
  {
    name: 'daemon',
    usage: '',
    about: 'the background daemon: lanes, pools, beat and the socket the CLI talks to',
    load: async () => (await import('./daemon.js')).registerDaemon,
  },
  {
    name: 'jobs',
    usage: '[options]',
    about:
      'active and queued lane tasks by pool, and recent job rows (celery inspect active / active_queues); `jobs cancel JOB` cancels one',
    load: async () => (await import('./jobs.js')).registerJobs,
  },
  {
    name: 'pause',
    usage: '[options] <lane>',
    about: 'pause a lane: its queued jobs wait and no new one starts (survives a daemon restart)',
    load: async () => (await import('./pause.js')).registerPause,
  },
  {
    name: 'resume',
    usage: '[options] <lane>',
    about: 'resume a paused lane: its queued jobs start again',
    load: async () => (await import('./resume.js')).registerResume,
  },
  {
    name: 'ingest',
    usage: '[options] <files...>',
    about:
      'store reviews from CSV, JSON or NDJSON files (or - for standard input), with a summary of inserted, duplicate and rejected rows',
    load: async () => (await import('./ingest.js')).registerIngest,
  },
  {
    name: 'status',
    usage: '[options]',
    about: 'live view of lanes, pools, the LLM gateway, the classifier and the backlog (q quits, p+digit pauses a lane)',
    load: async () => (await import('./status.js')).registerStatus,
  },
  {
    name: 'report',
    usage: '[options] [product]',
    about:
      "report on a product (or --all) as Markdown, JSON or a self-contained HTML page; no LLM call (on the daemon's reports lane when one runs, else straight from the store)",
    load: async () => (await import('./report.js')).registerReport,
  },
  {
    name: 'sim',
    usage: '[options]',
    about: 'run the SIMULATED OpenAI-compatible LLM endpoint in the foreground (for tests, benchmarks and the demo)',
    load: async () => (await import('./sim.js')).registerSim,
  },
  {
    name: 'learn',
    usage: '[options] <product>',
    about: "learn a product's dimensions and 5W labels on the learning lane (the fast lane)",
    load: async () => (await import('./learn.js')).registerLearn,
  },
  {
    name: 'analyze',
    usage: '[options] [product]',
    about: 'full auto analysis: learn the product if needed, then insights and themes of every review not yet analysed',
    load: async () => (await import('./analyze.js')).registerAnalyze,
  },
  {
    name: 'translate-pending',
    usage: '[options]',
    about: 'translate every pending review on the translation lane (cron-safe: overlapping runs never translate a review twice)',
    load: async () => (await import('./translate-pending.js')).registerTranslatePending,
  },
  {
    name: 'estimate',
    usage: '[options] <files...>',
    about: 'project translation calls, time, tokens and cost for review dumps, without storing or calling anything',
    load: async () => (await import('./estimate.js')).registerEstimate,
  },
  {
    name: 'export',
    usage: '[options]',
    about:
      'write stored reviews with their translations (or their insights / 5W tags) as CSV, NDJSON, JSON or an Excel workbook, streamed (no daemon needed)',
    load: async () => (await import('./export.js')).registerExport,
  },
  {
    name: 'demo',
    usage: '[options]',
    about:
      'run the whole job end to end on embedded defaults: ingest, translate, learn, analyse, report (simulated LLM when no key is set)',
    load: async () => (await import('./demo.js')).registerDemo,
  },
  {
    name: 'doctor',
    usage: '[options]',
    about: 'check Node, config, home, store, Redis and the LLM provider (key, region, model); exit 1 when something needs fixing',
    load: async () => (await import('./doctor.js')).registerDoctor,
  },
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

/** The command whose module argv needs: its name, or the one after `help` (`voc help ingest`). */
function chosenCommand(argv: string[]): CommandEntry | undefined {
  const name = commandName(argv);
  if (name === 'help') {
    const next = argv.slice(argv.indexOf('help') + 1).find((a) => !a.startsWith('-'));
    return COMMANDS.find((c) => c.name === next);
  }
  return COMMANDS.find((c) => c.name === name);
}

/**
 * Register the command argv names (only its module is loaded). Without one (help, --version, an unknown or
 * misspelt name) every command is listed from the entries above, no module loaded: commander prints the same
 * list and still suggests "ingest" for "ingets".
 */
export async function registerCommands(program: Command, argv: string[] = []): Promise<void> {
  const chosen = chosenCommand(argv);
  if (chosen) {
    (await chosen.load())(program);
    return;
  }
  const usage = new Map(COMMANDS.map((c) => [c.name, c.usage]));
  for (const c of COMMANDS) program.command(c.name).description(c.about);
  const plain = new Help();
  program.configureHelp({
    subcommandTerm: (cmd) => (usage.has(cmd.name()) ? `${cmd.name()} ${usage.get(cmd.name())}`.trimEnd() : plain.subcommandTerm(cmd)),
  });
}

/** Register every command's real module (tests compare the light help with the real one). */
export async function registerAllCommands(program: Command): Promise<void> {
  for (const register of await Promise.all(COMMANDS.map((c) => c.load()))) register(program);
}
