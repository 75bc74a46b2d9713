import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The CLI as a user runs it: the built bin/voc in a child process (dist/ is built once by test/global-setup.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const vocBin = path.join(repoRoot, 'bin', 'voc');
const run = promisify(execFile);

/** A clean environment: only this test's home, no ambient database, Redis or API key, no colours. */
export function cleanEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VOC_|DASHSCOPE_|OPENAI_)/.test(k) && k !== 'FORCE_COLOR') e[k] = v;
  return { ...e, VOC_HOME: home, NO_COLOR: '1', ...extra };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function voc(home: string, args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  try {
    const r = await run(process.execPath, [vocBin, ...args], {
      env: cleanEnv(home, opts.env),
      cwd: repoRoot,
      timeout: opts.timeout ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export function vocSync(
  home: string,
  args: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [vocBin, ...args], {
    env: cleanEnv(home, opts.env),
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
