import type { DaemonContext } from '../context.js';
import type { LaneName } from '../config/schema.js';
import type { Service } from '../lanes/types.js';
import { isLane } from '../lanes/pools.js';

/**
 * TEST ONLY, enabled by VOC_TEST_SERVICES=sleep: a `sleep` job runs `steps` lane jobs of `ms` each, so the
 * crash-and-restart tests have long jobs without an LLM. Never registered otherwise.
 */
export function testServices(ctx: DaemonContext, spec: string | undefined): Service[] {
  const names = (spec ?? '').split(',').map((s) => s.trim());
  if (!names.includes('sleep')) return [];
  return [
    {
      name: 'test-sleep',
      kinds: { sleep: 'exclusive' },
      async runJob(job, progress) {
        const steps = Math.max(1, Math.min(1000, Number(job.params.steps ?? 1)));
        const ms = Math.max(0, Math.min(60_000, Number(job.params.ms ?? 10)));
        // uninterruptible: the step ignores the drain signal, like I/O that must finish (the SIGTERM test)
        const hard = job.params.uninterruptible === true;
        const lane: LaneName = typeof job.params.lane === 'string' && isLane(job.params.lane) ? job.params.lane : 'translation';
        if (job.params.fail) throw new Error(String(job.params.fail));
        for (let i = 0; i < steps; i++) {
          await ctx.lanes.submit({
            lane,
            label: `sleep ${ms} ms (job ${job.id}, step ${i + 1}/${steps})`,
            jobId: job.id,
            run: ({ signal }) =>
              new Promise<void>((resolve, reject) => {
                const onAbort = () => (clearTimeout(t), reject(new Error('aborted')));
                const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
                if (!hard) signal.addEventListener('abort', onAbort, { once: true });
              }),
          });
          progress({ done: i + 1, steps });
        }
        return { done: steps, steps, daemon: ctx.daemonId };
      },
    },
  ];
}
