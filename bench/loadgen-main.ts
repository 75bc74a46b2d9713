import { loadMain } from './loadgen.js';

/** Child-process entry of the load generator (the throttle tests and bench/gateway.mjs), run with vite-node. */
loadMain(process.argv.slice(2)).then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`loadgen: ${(err as Error)?.message ?? err}\n`);
    process.exit(1);
  },
);
