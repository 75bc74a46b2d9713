import { closeSync, existsSync, linkSync, lstatSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { VocError } from '../errors.js';

/** Files a daemon keeps in $VOC_HOME. */
export function homePaths(home: string) {
  return {
    home,
    pid: path.join(home, 'daemon.pid'),
    socket: path.join(home, 'voc.sock'),
    log: path.join(home, 'daemon.log'),
    id: path.join(home, 'daemon-id'),
  };
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    // a killed daemon whose parent has not reaped it yet is a zombie: it holds no lock and serves nothing
    return !isZombie(pid);
  } catch (err) {
    // EPERM: it exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (macOS): fall back to kill(0)
  }
}

export function readPid(file: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * Take $VOC_HOME/daemon.pid atomically: the pid is written to a private temp file that is then hard-linked to
 * the pid path, which fails if the path exists, so two daemons starting at once cannot both win. A pid file
 * whose process is gone (a crash, kill -9) is removed and the lock taken again.
 */
export function acquirePidLock(home: string, pid = process.pid): { release: () => void; staleCleaned: boolean } {
  const p = homePaths(home);
  let staleCleaned = false;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = `${p.pid}.${pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, `${pid}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, p.pid);
      unlinkSync(tmp);
      return {
        staleCleaned,
        release: () => {
          if (readPid(p.pid) === pid) {
            try {
              unlinkSync(p.pid);
            } catch {
              // already gone
            }
          }
        },
      };
    } catch (err) {
      unlinkSync(tmp);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const other = readPid(p.pid);
    if (other !== null && processAlive(other) && mayBeDaemon(other)) {
      throw new VocError('DAEMON_RUNNING', `a daemon already runs for ${home} (pid ${other}, socket ${p.socket})`, {
        hint: 'stop it with `voc daemon stop`, or use another VOC_HOME',
      });
    }
    // stale: the process is gone; remove the file only if it still names that dead process
    if (readPid(p.pid) === other) {
      try {
        unlinkSync(p.pid);
      } catch {
        // someone else cleaned it first
      }
    }
    staleCleaned = true;
  }
  throw new VocError('DAEMON_LOCK', `cannot take the daemon lock ${p.pid}`);
}

/** A live pid that is not a node process at all is a reused pid after a reboot or crash, not a daemon (Linux). */
function mayBeDaemon(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|voc/.test(cmd);
  } catch {
    return true; // no /proc (macOS) or not readable: assume it is one
  }
}

/** Unix socket paths are limited to 107 bytes on Linux (103 on macOS). */
export function checkSocketPath(socket: string): void {
  if (Buffer.byteLength(socket) > 103) {
    throw new VocError('SOCKET_PATH', `the socket path ${socket} is too long for a unix socket`, { hint: 'use a shorter VOC_HOME' });
  }
}

/** Under the pid lock no other daemon owns the socket path: a leftover file is from a crash. */
export function removeStaleSocket(socket: string): boolean {
  try {
    const st = lstatSync(socket);
    if (st.isSocket() || st.isFile()) {
      unlinkSync(socket);
      return true;
    }
  } catch {
    // not there
  }
  return false;
}

/** Stable per home, so a restarted daemon recognises (and releases at once) the claims of its former self. */
export function daemonId(home: string): string {
  const file = homePaths(home).id;
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[\w.-]{1,100}$/.test(id)) return id;
  }
  const host =
    hostname()
      .replace(/[^\w.-]/g, '_')
      .slice(0, 60) || 'host';
  const id = `${host}-${randomBytes(3).toString('hex')}`;
  const fd = openSync(file, 'w', 0o600);
  try {
    writeFileSync(fd, id + '\n');
  } finally {
    closeSync(fd);
  }
  return id;
}
