import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, repoRoot, vocBin } from '../helpers/cli.js';
import { registerAllCommands, registerCommands } from '../../src/commands/index.js';

const work = mkdtempSync(path.join(tmpdir(), 'voc-trace-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Run the built CLI with the module tracer; returns its output and every module URL it resolved. */
function traced(args: string[]): { code: number; stdout: string; modules: string[] } {
  const trace = path.join(work, `trace-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync(process.execPath, ['--import', path.join(repoRoot, 'test', 'helpers', 'module-trace.mjs'), vocBin, ...args], {
    env: cleanEnv(work, { VOC_MODULE_TRACE: trace }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  let modules: string[] = [];
  try {
    modules = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  } catch {
    // nothing resolved
  }
  return { code: r.status ?? -1, stdout: r.stdout, modules };
}

const HEAVY = [
  '/node_modules/knex/',
  '/node_modules/ink/',
  '/node_modules/react/',
  '/node_modules/openai/',
  '/node_modules/zod/',
  '/node_modules/better-sqlite3/',
  '/node_modules/pg/',
  '/node_modules/ioredis/',
];
const heavyIn = (modules: string[]) => modules.filter((m) => HEAVY.some((h) => m.includes(h)));
const commandModules = (modules: string[]) =>
  modules.filter((m) => /\/dist\/commands\/(?!index\.js)[^/]+\.js$/.test(m)).map((m) => path.basename(m));

describe('what the CLI loads to start', () => {
  it('the tracer sees a command module and its libraries (so the checks below can fail)', () => {
    const r = traced(['config', '--json']);
    expect(r.code).toBe(0);
    expect(commandModules(r.modules)).toEqual(['config.js']);
    expect(r.modules.some((m) => m.includes('/node_modules/zod/'))).toBe(true);
  });

  it('--version loads no command module and no heavy library', () => {
    const r = traced(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version);
    expect(commandModules(r.modules)).toEqual([]);
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it('--help lists every command without loading one; `ingest --help` loads the ingest command alone', () => {
    const help = traced(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/ingest \[options\] <files\.\.\.>/);
    expect(commandModules(help.modules)).toEqual([]);
    expect(heavyIn(help.modules)).toEqual([]);

    const one = traced(['ingest', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/--direct/);
    expect(commandModules(one.modules)).toEqual(['ingest.js']);
    expect(heavyIn(one.modules).filter((m) => !m.includes('/zod/'))).toEqual([]); // ingest validates config (zod); knex only with --direct
  });

  it('the light command list prints exactly what the real commands would', async () => {
    const light = new Command('voc');
    await registerCommands(light, ['node', 'voc', '--help']);
    const real = new Command('voc');
    await registerAllCommands(real);
    expect(light.helpInformation()).toBe(real.helpInformation());
  });
});
