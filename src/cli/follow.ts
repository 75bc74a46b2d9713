import cliProgress from 'cli-progress';
import type { DaemonClient, JobView } from '../daemon/api.js';
import { VocError } from '../errors.js';

/** A followed job that ended cancelled (`voc jobs cancel`): what it did is kept, the rest is back to pending. */
export function cancelledError(job: JobView): VocError {
  return new VocError('JOB_CANCELLED', `${job.kind} job ${job.id} was cancelled; what it did is kept, the rest is back to pending`, {
    hint: `\`voc jobs\` shows it; run the command again to go on`,
  });
}

export interface ProgressView {
  done: number;
  total: number;
  /** the bar's {tokens} */
  payload: Record<string, string | number>;
  /** the plain line printed (at most every 2 s) when there is no terminal */
  line: string;
}

/**
 * Follow a job to its end: a cli-progress bar on a terminal, a plain line at most every 2 s for cron and pipes,
 * nothing when quiet (--json). `view` turns a running job's snapshot into what to show, or null to skip it.
 */
export async function followWithProgress(
  client: DaemonClient,
  jobId: number,
  o: {
    format: string;
    interactive: boolean;
    quiet: boolean;
    out: { write(s: string): unknown };
    view: (job: JobView) => ProgressView | null;
  },
): Promise<JobView> {
  const bar = o.interactive ? new cliProgress.SingleBar({ format: o.format, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  let lastLine = 0;
  try {
    return await client.followJob(jobId, (job) => {
      if (job.status !== 'running') return;
      const v = o.view(job);
      if (!v) return;
      if (bar) {
        if (!started) bar.start(Math.max(1, v.total), v.done, v.payload);
        started = true;
        bar.setTotal(Math.max(1, v.total, v.done));
        bar.update(v.done, v.payload);
      } else if (!o.quiet && Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        o.out.write(v.line + '\n');
      }
    });
  } finally {
    bar?.stop();
  }
}
