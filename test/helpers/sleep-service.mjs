// Plain JavaScript so that sleep-daemon.mjs can run it under node beside the built daemon.

/**
 * A `sleep` job runs `steps` lane tasks of `ms` each, so the crash-and-restart tests have long jobs without an LLM.
 * Tests pass it to startDaemon (StartOptions.services), or run sleep-daemon.mjs for a daemon in its own process.
 * @param {import('../../src/context.js').DaemonContext} ctx
 * @param {string | undefined} spec
 * @returns {import('../../src/lanes/types.js').Service[]}
 */
export function testServices(ctx, spec) {
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
        const lane = typeof job.params.lane === 'string' ? job.params.lane : 'translation';
        if (job.params.fail) throw new Error(String(job.params.fail));
        for (let i = 0; i < steps; i++) {
          await ctx.lanes.submit({
            lane,
            label: `sleep ${ms} ms (job ${job.id}, step ${i + 1}/${steps})`,
            jobId: job.id,
            run: ({ signal }) =>
              new Promise((resolve, reject) => {
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
