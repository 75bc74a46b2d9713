import { loadMain } from './loadgen.js';

/** Child-process entry of the load generator (tests and bench/gateway.mjs). */
loadMain(process.argv.slice(2)).then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`loadgen: ${(err as Error)?.message ?? err}\n`);
    process.exit(1);
  },
);
