import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareHome } from '../../src/config/home.js';
import { VocError } from '../../src/errors.js';

describe('prepareHome', () => {
  const dirs: string[] = [];
  const temp = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'voc-home-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('creates the home private, and makes an existing one private', () => {
    const base = temp();
    const fresh = path.join(base, 'a', 'home');
    prepareHome(fresh);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    const loose = path.join(base, 'loose');
    mkdirSync(loose);
    chmodSync(loose, 0o755);
    prepareHome(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o700);
  });

  it('a home that cannot be made is a one-line error naming it and the reason, with a hint', () => {
    const base = temp();
    writeFileSync(path.join(base, 'file'), 'x');
    const home = path.join(base, 'file', 'home');
    let err: unknown;
    try {
      prepareHome(home);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VocError);
    expect((err as VocError).code).toBe('HOME_UNUSABLE');
    expect((err as VocError).message).toBe(`cannot use ${home} as the voc home: a file stands where a directory should be (ENOTDIR)`);
    expect((err as VocError).message).not.toContain('\n');
    expect((err as VocError).hint).toMatch(/VOC_HOME/);
  });
});
