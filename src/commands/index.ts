import type { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerDaemon } from './daemon.js';
import { registerJobs } from './jobs.js';
import { registerPause } from './pause.js';
import { registerResume } from './resume.js';
import { registerIngest } from './ingest.js';
import { registerStatus } from './status.js';
import { registerReport } from './report.js';
import { registerSim } from './sim.js';
import { registerLearn } from './learn.js';
import { registerAnalyze } from './analyze.js';
import { registerTranslatePending } from './translate-pending.js';
import { registerEstimate } from './estimate.js';
import { registerExport } from './export.js';
import { registerDemo } from './demo.js';

/** Every command registers itself here; one file per command. */
export function registerCommands(program: Command): void {
  registerConfig(program);
  registerDaemon(program);
  registerJobs(program);
  registerPause(program);
  registerResume(program);
  registerIngest(program);
  registerStatus(program);
  registerReport(program);
  registerSim(program);
  registerLearn(program);
  registerAnalyze(program);
  registerTranslatePending(program);
  registerEstimate(program);
  registerExport(program);
  registerDemo(program);
}
