import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, repoRoot } from '../helpers/cli.js';

const run = promisify(execFile);

/**
 * What a user gets from `npm pack` + `npm install -g ./voc-*.tgz`: dist, config and the sample in the package, and
 * `voc` working from any directory. The install compiles better-sqlite3, so this test takes a minute or two.
 */
describe('the packed tarball', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'voc-pack-'));
  const prefix = path.join(work, 'prefix');
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'voc-cwd-'));
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('installs globally into a prefix; voc --help, --version and demo run from another directory', async () => {
    await run('npm', ['pack', repoRoot, '--silent'], {
      cwd: work,
      timeout: 120_000,
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tgz).toBeDefined();
    await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', path.join(work, tgz!)], {
      cwd: work,
      timeout: 400_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const bin = path.join(prefix, 'bin', 'voc');
    expect(existsSync(bin)).toBe(true);
    const home = path.join(elsewhere, 'home');
    const env = { ...cleanEnv(home), PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` };
    const version = await run(bin, ['--version'], { cwd: elsewhere, env });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await run(bin, ['--help'], { cwd: elsewhere, env });
    for (const cmd of ['ingest', 'translate-pending', 'analyze', 'report', 'status', 'demo']) expect(help.stdout).toContain(cmd);
    const demo = await run(bin, ['demo', '--json', '--home', home], { cwd: elsewhere, env, timeout: 170_000 });
    const summary = JSON.parse(demo.stdout);
    expect(summary.simulated).toBe(true);
    expect(summary.products).toEqual(['VOC-EARBUDS-02', 'VOC-KETTLE-01', 'VOC-TEA-03']);
    for (const f of [...summary.reports.html, ...summary.reports.markdown]) expect(existsSync(f)).toBe(true);
  }, 600_000);
});
