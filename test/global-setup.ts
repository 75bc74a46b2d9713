import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers/cli.js';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** End-to-end tests run the built CLI: build dist/ once, before any test file, when the sources are newer. */
export default function setup(): void {
  const marker = path.join(repoRoot, 'dist', 'main.js');
  if (existsSync(marker) && statSync(marker).mtimeMs >= newest(path.join(repoRoot, 'src'))) return;
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}
