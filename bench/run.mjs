#!/usr/bin/env node
// `npm run bench -- NAME...` runs bench/NAME.mjs for each name, or every bench when none is given.
// Each bench is a plain Node script that prints figures; nothing here asserts.
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').map((f) => f.slice(0, -4)).sort();
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
// options such as --file=PATH go to every bench that runs
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const chosen = names.length ? names : all;
let failed = 0;
for (const name of chosen) {
  const file = path.join(here, `${name}.mjs`);
  if (!existsSync(file)) {
    console.error(`bench: no bench named "${name}" (have: ${all.join(', ')})`);
    failed++;
    continue;
  }
  console.log(`\n== bench ${name} ==`);
  const r = spawnSync(process.execPath, [file, ...flags], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench ${name} exited with ${r.status ?? r.signal}`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
