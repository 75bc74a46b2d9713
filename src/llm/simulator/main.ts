import { startSimulator, type SimulatorOptions } from './index.js';

/**
 * Child-process entry of the simulator for tests and benchmarks: `node dist/llm/simulator/main.js '<options JSON>'`
 * prints {"url": ...} once listening and stops on SIGTERM/SIGINT or when stdin closes (the parent went away).
 */
const opts = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions;
const sim = await startSimulator({ ...opts, port: opts.port ?? 0 });
process.stdout.write(JSON.stringify({ url: sim.url }) + '\n');
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
