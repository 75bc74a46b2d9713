import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layers, top to bottom (docs/architecture.md). A module may import its own layer or any layer below it.
const LAYERS: string[][] = [
  ['main.ts', 'commands', 'cli', 'tui'],
  ['daemon'],
  ['ingest', 'translate', 'analysis', 'batch', 'report', 'doctor', 'export', 'context.ts'],
  ['lanes'],
  ['store'],
  ['llm'],
  [
    'events.ts',
    'log.ts',
    'log-file.ts',
    'config',
    'text.ts',
    'language.ts',
    'language-words.ts',
    'dates.ts',
    'errors.ts',
    'domain.ts',
    'abort.ts',
    'recent.ts',
  ],
];

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) ? [relative(SRC, path).split('\\').join('/')] : [];
  });
}

/** 0 is the top; the room is a file's first path segment (its folder, or the file itself at the top of src/) */
function layerOf(file: string): number {
  const room = file.split('/')[0];
  const layer = LAYERS.findIndex((rooms) => rooms.includes(room));
  if (layer < 0) throw new Error(`src/${file} is in no layer: add its room to the table in this test`);
  return layer;
}

/** relative imports of a file (static, dynamic, type-only and re-exports), resolved to paths under src/ */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.[^'"]+)['"]/gm)].map((m) => m[1]);
  return specs.map((spec) => posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
}

describe('layers', () => {
  const files = sourceFiles(SRC);

  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('main.ts');
  });

  it('no module imports from a layer above its own', () => {
    const uphill: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file)) {
        if (target.startsWith('..')) continue; // the .lua/.json assets outside src are not modules of ours
        if (layerOf(target) < layerOf(file)) uphill.push(`src/${file} -> src/${target}`);
      }
    }
    expect(uphill).toEqual([]);
  });
});
