#!/usr/bin/env node
// `npm run bench -- NAME...` runs bench/NAME.mjs for each name, or every bench when none is given. Arguments after
// a name that name no bench go to that bench (`npm run bench -- cap reviews.csv 4`).
// Each bench is a plain Node script that prints figures; nothing here asserts.
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.slice(0, -4))
  .sort();
const args = new Map();
// options such as --file=PATH go to every bench that runs; a bench's own words follow its name
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
let current = null;
for (const a of process.argv.slice(2)) {
  if (a.startsWith('-')) continue;
  if (current === null || all.includes(a)) args.set((current = a), []);
  else args.get(current).push(a);
}
const chosen = args.size ? [...args.keys()] : all;
let failed = 0;
for (const name of chosen) {
  const file = path.join(here, `${name}.mjs`);
  if (!existsSync(file)) {
    console.error(`bench: no bench named "${name}" (have: ${all.join(', ')})`);
    failed++;
    continue;
  }
  console.log(`\n== bench ${name} ==`);
  const r = spawnSync(process.execPath, [file, ...(args.get(name) ?? []), ...flags], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench ${name} exited with ${r.status ?? r.signal}`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
