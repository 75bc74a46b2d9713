import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Arrival, SimStats, SimulatorOptions } from './index.js';

/**
 * The simulator in a child process, driven over HTTP: where timing matters (tests of the cap, benchmarks) its
 * arrival clock must not share an event loop with hundreds of callers. `command` runs simulator/main
 * (`node dist/llm/simulator/main.js`, or a TypeScript runner on src/llm/simulator/main.ts in tests).
 */
export interface RemoteSimulator {
  url: string;
  stats(): Promise<SimStats>;
  arrivals(): Promise<Arrival[]>;
  reset(): Promise<void>;
  setLimit(n: number): Promise<void>;
  stop(): Promise<void>;
}

export async function spawnSimulator(
  opts: SimulatorOptions,
  command: { cmd: string; args: string[]; cwd?: string },
): Promise<RemoteSimulator> {
  const child = spawn(command.cmd, [...command.args, JSON.stringify(opts)], { cwd: command.cwd, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the simulator process exited with code ${code} before listening`)));
    child.once('error', reject);
  });
  const url = (JSON.parse(line) as { url: string }).url;
  const base = url.replace(/\/v1$/, '');
  const call = async <T>(method: string, route: string): Promise<T> => {
    const res = await fetch(`${base}${route}`, { method });
    if (!res.ok) throw new Error(`simulator ${method} ${route}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    url,
    stats: () => call<SimStats>('GET', '/stats'),
    arrivals: () => call<Arrival[]>('GET', '/arrivals'),
    reset: async () => void (await call('POST', '/stats/reset')),
    setLimit: async (n) => void (await call('POST', `/limit?n=${n}`)),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
