import { closeSync, copyFileSync, fstatSync, ftruncateSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { Level } from './log.js';

/**
 * Where log lines go. `write` never throws; `close` is idempotent.
 */
export interface LogSink {
  write(line: string, level: Level): void;
  close(): void;
}

const RETRY_FILE_MS = 60_000;

/**
 * daemon.log, rotated by size: when a line would take it past `maxBytes`, daemon.log.(N-1) becomes .N (the oldest
 * is overwritten), ..., daemon.log becomes daemon.log.1, and a fresh daemon.log is opened.
 *
 * Written by hand with synchronous appends instead of an async rotating stream: a line is in the kernel when
 * write() returns, so a crash, a kill -9 or the process.exit after a stop loses no line; rotation happens between
 * two lines, never inside one; and a failing write (full disk, a log path we cannot open) surfaces at once, so the
 * daemon can say so in one line and carry on logging to stderr. Only this process writes the file (the pid lock).
 */
export function rotatingFileSink(file: string, o: { maxBytes: number; files: number; onFallback?: (reason: string) => void }): LogSink {
  let fd: number | null = null;
  let size = 0;
  let failedAt: number | null = null;
  let closed = false;

  const open = () => {
    fd = openSync(file, 'a', 0o600);
    size = fstatSync(fd).size;
  };

  const rotate = () => {
    for (let i = o.files - 1; i >= 1; i--) moveIfThere(`${file}.${i}`, `${file}.${i + 1}`);
    if (fd !== null && stdioWritesTo(fd)) {
      // `voc daemon start` points the daemon's stdout/stderr at this file (a crash trace belongs there): keep the
      // inode and copy-then-truncate, so those descriptors go on writing to daemon.log. Race-free here: this
      // process is the only writer and every write is synchronous.
      copyFileSync(file, `${file}.1`);
      ftruncateSync(fd, 0);
      size = 0;
      return;
    }
    if (fd !== null) closeSync(fd);
    fd = null;
    moveIfThere(file, `${file}.1`);
    open();
  };

  const toStderr = (line: string) => {
    try {
      process.stderr.write(line);
    } catch {
      // nowhere left to write: drop the line rather than the daemon
    }
  };

  const fail = (err: unknown) => {
    const first = failedAt === null;
    failedAt = Date.now();
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already unusable
      }
      fd = null;
    }
    if (first) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      const reason = `cannot write the log file ${file} (${code}): logging to stderr instead`;
      toStderr(`voc: ${reason}\n`);
      o.onFallback?.(reason);
    }
  };

  try {
    open();
  } catch (err) {
    fail(err);
  }

  return {
    write(line) {
      if (closed) return toStderr(line);
      // after a failure, try the file again once a minute (the disk may have been cleaned up)
      if (failedAt !== null && Date.now() - failedAt < RETRY_FILE_MS) return toStderr(line);
      try {
        if (fd === null) open();
        const bytes = Buffer.byteLength(line);
        if (size > 0 && size + bytes > o.maxBytes) rotate();
        writeSync(fd!, line);
        size += bytes;
        if (failedAt !== null) {
          failedAt = null;
          toStderr(`voc: the log file ${file} is writable again\n`);
        }
      } catch (err) {
        fail(err);
        toStderr(line);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/** True when our stdout or stderr is the same file as `fd`. */
function stdioWritesTo(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return [1, 2].some((n) => {
      try {
        const o = fstatSync(n);
        return o.dev === st.dev && o.ino === st.ino;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

function moveIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** systemd's journal priorities (sd-daemon(3)): a `<N>` prefix sets the line's level in `journalctl -p`. */
const JOURNAL_PRIORITY: Record<Level, number> = { debug: 7, info: 6, warn: 4, error: 3 };

/**
 * True when stdout is connected to the journal: systemd sets JOURNAL_STREAM to the device and inode of that
 * stream (checking them, as systemd recommends, ignores a variable inherited by a child whose stdout was redirected).
 */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const js = env.JOURNAL_STREAM;
  if (!js) return false;
  try {
    const st = fstatSync(1);
    return js === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/** stdout, with journal priorities when systemd collects it. */
export function stdoutSink(journal = stdoutIsJournal()): LogSink {
  return {
    write(line, level) {
      try {
        process.stdout.write(journal ? `<${JOURNAL_PRIORITY[level]}>${line}` : line);
      } catch {
        // a closed stdout must not take the daemon down
      }
    },
    close() {},
  };
}

/** Best effort: remove rotated files beyond `files` (after logFiles was lowered). */
export function pruneRotated(file: string, files: number): void {
  for (let i = files + 1; i <= files + 100; i++) {
    try {
      unlinkSync(`${file}.${i}`);
    } catch {
      break;
    }
  }
}
