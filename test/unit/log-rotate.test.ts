import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/cli.js';
import path from 'node:path';
import { tempHome, testConfig } from '../helpers/home.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { rotatingFileSink, stdoutSink } from '../../src/log-file.js';
import { openDaemonLog } from '../../src/daemon/logging.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) c();
});

function home() {
  const h = tempHome('lg');
  cleanups.push(h.cleanup);
  return h.home;
}

const linesOf = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('daemon.log rotation', () => {
  it('rotates past logMaxBytes, keeps logFiles rotated files, and loses no recent line', () => {
    const dir = home();
    const file = path.join(dir, 'daemon.log');
    const sink = rotatingFileSink(file, { maxBytes: 1024, files: 3 });
    const line = (i: number) => `${JSON.stringify({ n: i, pad: 'x'.repeat(80) })}\n`;
    for (let i = 0; i < 200; i++) sink.write(line(i), 'info');
    sink.close();
    for (const f of [file, `${file}.1`, `${file}.2`, `${file}.3`]) {
      expect(existsSync(f), f).toBe(true);
      expect(statSync(f).size).toBeLessThanOrEqual(1024);
    }
    expect(existsSync(`${file}.4`)).toBe(false);
    // the newest lines, in order, across the current file and the rotations (never a line cut in two)
    const kept = [`${file}.3`, `${file}.2`, `${file}.1`, file].flatMap(linesOf).map((l) => JSON.parse(l).n as number);
    expect(kept[kept.length - 1]).toBe(199);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 200 - kept.length + i));
  });

  it('the daemon logger writes past daemon.logMaxBytes into a rotation, and a restart appends', () => {
    const dir = home();
    const config = testConfig(dir, { overrides: { 'daemon.logMaxBytes': 4096, 'daemon.logFiles': 2 } });
    const a = openDaemonLog(config, 'file', []);
    for (let i = 0; i < 20; i++) a.log.info(`event_${i}`, { i, text: 'y'.repeat(300) });
    a.close();
    const file = path.join(dir, 'daemon.log');
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(statSync(file).size).toBeLessThanOrEqual(4096);
    const before = linesOf(file).length;
    const b = openDaemonLog(config, 'file', []);
    b.log.info('restarted', {});
    b.close();
    expect(linesOf(file).length).toBe(before + 1);
  });

  it('when stderr is the log file (`voc daemon start`), rotation keeps it there: a crash trace lands in daemon.log', () => {
    const dir = home();
    const file = path.join(dir, 'daemon.log');
    const fd = openSync(file, 'a', 0o600);
    const script = [
      `const { rotatingFileSink } = await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'dist', 'log-file.js')).href)});`,
      `const sink = rotatingFileSink(${JSON.stringify(file)}, { maxBytes: 1024, files: 2 });`,
      `for (let i = 0; i < 50; i++) sink.write(JSON.stringify({ n: i, pad: 'z'.repeat(60) }) + '\\n', 'info');`,
      `process.stderr.write('STDERR-AFTER-ROTATION\\n');`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    expect(r.status).toBe(0);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    const current = readFileSync(file, 'utf8');
    expect(current).toContain('STDERR-AFTER-ROTATION');
    expect(current).toContain('"n":49');
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(1024);
  });

  it('an unwritable log path says so in one line and logs to stderr instead', () => {
    const dir = home();
    mkdirSync(path.join(dir, 'daemon.log')); // a directory where the file should be: open() fails for root too
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation(((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write);
    const config = testConfig(dir);
    const d = openDaemonLog(config, 'file', []);
    d.log.info('first', {});
    d.log.info('second', {});
    d.close();
    const notices = err.filter((l) => l.startsWith('voc: cannot write the log file'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('logging to stderr instead');
    expect(err.some((l) => l.includes('"event":"second"'))).toBe(true);
  });

  it('a full disk (/dev/full: every write fails with ENOSPC) falls back to stderr with one line', () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation(((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write);
    const sink = rotatingFileSink('/dev/full', { maxBytes: 1024, files: 2 });
    for (let i = 0; i < 5; i++) sink.write(`{"n":${i}}\n`, 'info');
    sink.close();
    expect(err.filter((l) => l.includes('ENOSPC'))).toHaveLength(1);
    expect(err.filter((l) => l.startsWith('{"n":'))).toHaveLength(5);
  });
});

describe('log levels and floods', () => {
  it('summarises a flood: 10,000 products learned write 20 lines and one summary at info', () => {
    const out: string[] = [];
    const log = createLogger({ write: (l) => out.push(l), level: 'info', perMinute: 20 });
    for (let i = 0; i < 10_000; i++) log.child({ daemon: 'd1' }).info('learned', { productId: `P${i}` });
    log.warn('other_event', {});
    log.stop();
    const learned = out.map((l) => JSON.parse(l)).filter((r) => r.event === 'learned');
    expect(learned).toHaveLength(21);
    expect(learned[20]).toMatchObject({ level: 'info', suppressed: 9980, daemon: 'd1' });
    expect(out.some((l) => l.includes('other_event'))).toBe(true);
  });

  it('writes every line at debug level', () => {
    const out: string[] = [];
    const log = createLogger({ write: (l) => out.push(l), level: 'debug', perMinute: 20 });
    for (let i = 0; i < 500; i++) log.info('learned', { i });
    log.stop();
    expect(out).toHaveLength(500);
  });

  it('VOC_LOG_LEVEL sets daemon.logLevel; a bad value is a config error naming the option', () => {
    const dir = home();
    expect(loadConfig({ env: { VOC_HOME: dir, VOC_LOG_LEVEL: 'WARN' } }).daemon.logLevel).toBe('warn');
    expect(() => loadConfig({ env: { VOC_HOME: dir, VOC_LOG_LEVEL: 'loud' } })).toThrow(/daemon\.logLevel/);
    const out: string[] = [];
    const log = createLogger({ write: (l) => out.push(l), level: 'warn' });
    log.info('quiet', {});
    log.warn('loud', {});
    expect(out.map((l) => JSON.parse(l).event)).toEqual(['loud']);
  });

  it('under systemd each stdout line carries its journal priority', () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write);
    const log = createLogger({ write: (l, level) => stdoutSink(true).write(l, level), level: 'debug' });
    log.error('e', {});
    log.warn('w', {});
    log.info('i', {});
    log.debug('d', {});
    expect(out.map((l) => l.slice(0, 3))).toEqual(['<3>', '<4>', '<6>', '<7>']);
  });
});
