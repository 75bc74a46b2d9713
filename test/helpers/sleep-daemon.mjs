// `voc daemon run` with the sleep service added, in its own process and from the built code (dist/): the kill -9
// and signal tests need long jobs without an LLM, and the product never registers test services.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testServices } from './sleep-service.mjs';

const dist = (p) => import(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', p));
const { runDaemonRun } = await dist('commands/daemon.js');
const { loadConfig } = await dist('config/load.js');
const { defaultServices } = await dist('daemon/services.js');

await runDaemonRun(loadConfig(), { services: (ctx) => [...defaultServices(ctx), ...testServices(ctx, 'sleep')] });
// lingering sockets (a Redis reconnect, a stream) must not keep a stopped daemon alive, as in `voc daemon run`
process.exit(process.exitCode ?? 0);
