import { existsSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ConfigSource } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { fail, ok, warn, type Check } from './types.js';
import { errorMessage } from '../errors.js';

/** 20.12: the one-shot crypto.hash the ingest hashes every review body with */
const MIN_NODE = [20, 12] as const;
const DISK_FAIL_BYTES = 100 * 1024 * 1024;
const DISK_WARN_BYTES = 1024 * 1024 * 1024;

export function checkNode(version = process.versions.node): Check {
  const [major, minor] = version.split('.').map(Number);
  const min = MIN_NODE.join('.');
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])
    ? ok('node', `Node ${version}`)
    : fail(
        'node',
        `Node ${version} is too old: voc needs ${min} or newer`,
        `install Node ${MIN_NODE[0]} LTS or newer (nvm install ${MIN_NODE[0]})`,
      );
}

/** The config is valid (it loaded), and where each value that is not a default comes from. */
export function checkConfigSources(sources: ConfigSource[]): Check {
  const set = sources.filter((s) => s.from !== 'default');
  const text = set.length ? set.map((s) => `${s.path} <- ${s.from}`).join(', ') : 'all defaults';
  return ok('config', `valid; ${text}`, { sources });
}

const mode = (m: number) => (m & 0o777).toString(8).padStart(3, '0');
const myUid = () => (typeof process.getuid === 'function' ? process.getuid() : null);

/** $VOC_HOME must be ours and 0700 (it holds the database, the socket and the log); the socket ours and 0600. */
export function checkPermissions(home: string, socket: string): Check[] {
  const out: Check[] = [];
  if (!existsSync(home)) out.push(ok('home', `${home} does not exist yet (created 0700 on first use)`));
  else {
    const st = statSync(home);
    const uid = myUid();
    if (uid !== null && st.uid !== uid)
      out.push(
        fail('home', `${home} belongs to uid ${st.uid}, not to you (uid ${uid})`, `run voc as the owner, or chown -R $(id -u) ${home}`),
      );
    else if (st.mode & 0o077)
      out.push(fail('home', `${home} is mode ${mode(st.mode)}: others can read the database and the log`, `chmod 700 ${home}`));
    else out.push(ok('home', `${home} is private (mode ${mode(st.mode)})`));
  }
  if (!existsSync(socket)) out.push(ok('socket', `${socket} is absent (no daemon running)`));
  else {
    const st = statSync(socket);
    const uid = myUid();
    if (!st.isSocket()) out.push(fail('socket', `${socket} is not a socket`, `remove it (rm ${socket}); the daemon recreates it`));
    else if ((uid !== null && st.uid !== uid) || st.mode & 0o077) {
      const fix = 'restart the daemon (voc daemon stop && voc daemon start); it creates the socket 0600';
      out.push(fail('socket', `${socket} is mode ${mode(st.mode)}, uid ${st.uid}: not private to you`, fix));
    } else out.push(ok('socket', `${socket} is private (mode ${mode(st.mode)})`));
  }
  return out;
}

/** Free space where VOC_HOME lives: the SQLite file, the log and its rotations need room to grow. */
export function checkDisk(config: Config): Check {
  let dir = config.home;
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  let free: number;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch (err) {
    return warn('disk', `cannot read the free space of ${dir}: ${errorMessage(err)}`, 'check the file system of VOC_HOME by hand (df -h)');
  }
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  const logRoom = config.daemon.logMaxBytes * (config.daemon.logFiles + 1);
  const data = { freeBytes: free, logBytesAtMost: logRoom };
  if (free < DISK_FAIL_BYTES) return fail('disk', `${gib(free)} free in ${dir}`, 'free some space or move VOC_HOME to a larger disk', data);
  if (free < DISK_WARN_BYTES || free < logRoom) {
    return warn(
      'disk',
      `${gib(free)} free in ${dir}; the log alone may take ${gib(logRoom)}`,
      'free some space, or lower daemon.logMaxBytes / daemon.logFiles',
      data,
    );
  }
  return ok('disk', `${gib(free)} free in ${dir} (the log takes at most ${gib(logRoom)})`, data);
}
