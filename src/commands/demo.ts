import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { loadConfig, PACKAGE_ROOT, usesSimulator } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { globals } from '../cli/options.js';
import { isInteractive } from '../cli/output.js';
import { cancelledError, followWithProgress } from '../cli/follow.js';
import { VocError } from '../errors.js';
import { connectDaemon, daemonSink } from '../daemon/client.js';
import type { DaemonClient, JobView, SubmitJobRequest } from '../daemon/api.js';
import { runIngest } from './ingest.js';
import { TranslationEstimator } from '../translate/estimate.js';
import { readReviews } from '../ingest/index.js';
import { renderFrame } from '../tui/render.js';
import { openStore } from '../store/db.js';

export const DEMO_SAMPLE = path.join(PACKAGE_ROOT, 'samples', 'demo-reviews.csv');

export interface DemoOptions {
  home?: string;
  file?: string;
  keep?: boolean;
  yes?: boolean;
  json?: boolean;
}

export interface DemoResult {
  home: string;
  simulated: boolean;
  products: string[];
  reports: { markdown: string[]; html: string[] };
  ingested: { rows: number; inserted: number; duplicates: number; rejected: number };
  translated: Record<string, unknown>;
  analysed: Record<string, unknown>;
  seconds: number;
}

type Out = { write(s: string): unknown };

/** A throw-away home with the demo's settings: embedded defaults, nothing shared with the user's own home. */
function demoHome(dir: string | undefined): string {
  const home = dir ? path.resolve(dir) : mkdtempSync(path.join(tmpdir(), 'voc-demo-'));
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const cfgFile = path.join(home, 'config.json');
  if (!existsSync(cfgFile)) {
    // the beat would start the same translation run; the demo starts it itself, visibly
    writeFileSync(cfgFile, JSON.stringify({ beat: { checkPendingTranslations: false } }, null, 2) + '\n', { mode: 0o600 });
  }
  return home;
}

/** With a real key the demo costs money: project it and ask before spending more than demo.maxSpend. */
async function checkSpend(config: Config, file: string, o: DemoOptions, out: Out): Promise<void> {
  const est = new TranslationEstimator(config);
  for await (const item of readReviews(file, { config })) if (item.kind === 'review') est.add(item.review);
  const r = est.result();
  const profile = r.profiles[config.translate.packing as keyof typeof r.profiles] ?? Object.values(r.profiles)[0];
  // analysis costs about twice the translation again (insights and themes); a rough upper bound is enough here
  const cost = profile.cost === null ? null : profile.cost * 3;
  out.write(
    `this demo calls ${config.llm.baseUrl} (model ${config.llm.model}): about ${profile.calls * 3} calls, ` +
      `${cost === null ? 'cost unknown (no price for this model)' : `about ${cost.toFixed(4)} ${config.llm.currency}`}\n`,
  );
  if (cost !== null && cost <= config.demo.maxSpend) return;
  if (o.yes) return;
  if (!process.stdin.isTTY) {
    throw new VocError(
      'DEMO_SPEND',
      `the demo would spend more than demo.maxSpend (${config.demo.maxSpend} ${config.llm.currency}) on a real endpoint`,
      { hint: 'pass --yes to accept, or unset the API key to use the simulator' },
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question('go on? [y/N] ');
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new VocError('DEMO_CANCELLED', 'demo cancelled; nothing was spent');
}

/**
 * Follow a job through the one follower (cli/follow.ts), showing the throttle at work beside its progress: the
 * gateway's figures are polled every 500 ms and shown with the job's next snapshot.
 */
async function follow(client: DaemonClient, req: SubmitJobRequest, label: string, out: Out, interactive: boolean): Promise<JobView> {
  const job = await client.submitJob(req);
  let gw = { window: 0, limit: 0, waiting: 0, r429: 0 };
  const ticker = setInterval(() => {
    client
      .stats()
      .then((s) => {
        const waiting = Object.values(s.gateway.waiting).reduce((a, b) => a + b, 0);
        gw = { window: s.gateway.window, limit: s.gateway.limit, waiting, r429: s.gateway.rejected429 };
      })
      .catch(() => {});
  }, 500);
  try {
    const final = await followWithProgress(client, job.id, {
      format: `${label.padEnd(11)} [{bar}] {value}/{total} | LLM {window}/{limit} req/s, {waiting} waiting, {r429} 429s`,
      interactive,
      quiet: false,
      out,
      view: (j) => {
        const r = (j.result ?? {}) as { done?: number; total?: number };
        if (typeof r.total !== 'number' || r.total <= 0) return null;
        const done = r.done ?? 0;
        const line = `  ${label}: ${done}/${r.total} | LLM ${gw.window}/${gw.limit} requests in the last second, ${gw.waiting} waiting, ${gw.r429} 429s`;
        return { done, total: r.total, payload: { ...gw }, line };
      },
    });
    if (final.status === 'cancelled') throw cancelledError(final);
    if (final.status === 'failed') throw new VocError('DEMO_FAILED', `${label} failed: ${final.error ?? 'unknown error'}`);
    return final;
  } finally {
    clearInterval(ticker);
  }
}

/**
 * The main job end to end on embedded defaults: a throw-away home, the built-in simulator when no key is set,
 * the bundled sample dump; ingest, translate, learn, analyse, report, and a final status frame.
 */
export async function runDemo(
  o: DemoOptions,
  deps: { configFile?: string; stdout?: Out; stderr?: Out; interactive?: boolean } = {},
): Promise<DemoResult> {
  const out = deps.stdout ?? process.stdout;
  const interactive = !o.json && (deps.interactive ?? isInteractive());
  const quiet: Out = { write: () => true };
  const progressOut = o.json ? quiet : out;
  const say = (s: string) => {
    if (!o.json) out.write(s + '\n');
  };
  const started = Date.now();
  const home = demoHome(o.home);
  const config = loadConfig({ env: { ...process.env, VOC_HOME: home }, configFile: deps.configFile });
  const simulated = usesSimulator(config);
  const file = o.file ? path.resolve(o.file) : DEMO_SAMPLE;
  say(`voc demo: home ${home} (throw-away), store ${path.join(home, config.store.sqliteFile)}`);
  say(
    simulated
      ? 'LLM: SIMULATED (no API key is set: the built-in simulator answers; translations and insights are not real)'
      : `LLM: ${config.llm.baseUrl}, model ${config.llm.model}`,
  );
  if (!simulated) await checkSpend(config, file, o, out);

  const client = await connectDaemon(config, { autostart: true, quiet: true, configFile: deps.configFile });
  const health = await client.health();
  say(`daemon ${health.id} (pid ${health.pid}) serving six lanes on five pools, ${config.llm.qps} requests/s through one gateway`);
  try {
    say(`\n[1/5] ingest ${path.relative(process.cwd(), file) || file}`);
    const ing = await runIngest(
      { files: [file], json: false },
      { config, sink: daemonSink(client), stdout: progressOut, stderr: deps.stderr ?? process.stderr, interactive },
    );

    say('\n[2/5] translate (smart batches: short x20, standard x5, vip x1)');
    const tr = await follow(client, { kind: 'translate' }, 'translate', progressOut, interactive);
    const t = (tr.result ?? {}) as Record<string, number>;
    say(
      `  translated ${t.translated ?? 0}, skipped ${t.skipped ?? 0} (already Chinese or no letters), from cache/duplicates ${t.cached ?? 0}, failed ${t.failed ?? 0}; ${t.calls ?? 0} calls, ${t.fallbacks ?? 0} fallbacks`,
    );

    say('\n[3/5] learn and analyse every product (insights and 5W themes on two lanes at once)');
    const an = await follow(client, { kind: 'analyze', params: { all: true } }, 'analyse', progressOut, interactive);
    const a = (an.result ?? {}) as Record<string, number>;
    say(
      `  ${a.reviews ?? 0} reviews: ${a.insights ?? 0} insights, ${a.themes ?? 0} themes (${a.unmapped ?? 0} unmapped), ${a.droppedQuotes ?? 0} made-up quotes dropped, ${a.failed ?? 0} failed; ${a.calls ?? 0} calls`,
    );

    say('\n[4/5] reports (on the reports lane; no LLM call)');
    const products = await productsOf(config);
    const reports = { markdown: [] as string[], html: [] as string[] };
    const dir = path.join(home, 'reports');
    mkdirSync(dir, { recursive: true });
    const targets: Array<{ productId: string | null; all: boolean; name: string }> = [
      { productId: null, all: true, name: 'all-products' },
      ...products.map((p) => ({ productId: p, all: false, name: p })),
    ];
    for (const tgt of targets) {
      for (const format of ['md', 'html'] as const) {
        const outFile = path.join(dir, `${tgt.name}.${format}`);
        const job = await client.submitJob({ kind: 'report', productId: tgt.productId, params: { format, all: tgt.all, out: outFile } });
        const final = await client.followJob(job.id, () => {});
        if (final.status !== 'done') throw new VocError('DEMO_FAILED', `report ${tgt.name} failed: ${final.error ?? 'unknown error'}`);
        (format === 'md' ? reports.markdown : reports.html).push(outFile);
      }
    }
    say(`  HTML:     ${reports.html.join('\n            ')}`);
    say(`  Markdown: ${reports.markdown.join('\n            ')}`);

    say('\n[5/5] status');
    const stats = await client.stats();
    say(renderFrame(stats, { width: Math.min(process.stdout.columns || 100, 120), height: 40, color: interactive }));
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const result: DemoResult = {
      home,
      simulated,
      products,
      reports,
      ingested: { rows: ing.rows, inserted: ing.inserted, duplicates: ing.duplicates, rejected: ing.rejected },
      translated: t,
      analysed: a,
      seconds,
    };
    say(`\ndone in ${seconds} s. Open ${reports.html[0]} in a browser.`);
    if (o.keep) say(`the daemon keeps running for ${home}: VOC_HOME=${home} voc status`);
    if (o.json) out.write(JSON.stringify(result, null, 2) + '\n');
    return result;
  } finally {
    if (!o.keep) await client.shutdown().catch(() => {});
  }
}

/** The products the demo reports on: every product the store holds after the ingest. */
async function productsOf(config: Config): Promise<string[]> {
  const store = await openStore(config, { migrate: false });
  try {
    const rows: Array<{ id: string }> = await store.knex('products').select('id').orderBy('id');
    return rows.map((r) => r.id);
  } finally {
    await store.close();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the whole job end to end on embedded defaults: ingest, translate, learn, analyse, report (simulated LLM when no key is set)',
    )
    .option('--home <dir>', 'state directory for the demo (default: a new temporary directory)')
    .option('--file <file>', 'review dump to use instead of the bundled sample')
    .option('--keep', 'leave the demo daemon running afterwards')
    .option('--yes', 'with a real API key, spend without asking')
    .option('--json', 'print a machine-readable summary')
    .action(async (opts: DemoOptions, cmd: Command) => {
      await runDemo({ ...opts, json: opts.json || globals(cmd).json }, { configFile: globals(cmd).config });
    });
}
