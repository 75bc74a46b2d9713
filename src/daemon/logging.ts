import type { Config } from '../config/schema.js';
import { createLogger, type Logger, type LoggerHandle } from '../log.js';
import { pruneRotated, rotatingFileSink, stdoutSink, type LogSink } from '../log-file.js';
import { homePaths } from './lifecycle.js';

/** Where the daemon logs: its home's rotating daemon.log (default), stdout (`voc daemon run`), or a given logger. */
export type LogTarget = 'file' | 'stdout' | Logger;

export interface DaemonLog {
  log: Logger;
  /** writes pending flood summaries and closes the file; idempotent */
  close(): void;
}

let stdioQuiet = false;
/** A full disk or a closed pipe on our own stdout/stderr is dropped, never thrown at the daemon as 'error'. */
function quietStdio(): void {
  if (stdioQuiet) return;
  stdioQuiet = true;
  process.stderr.on('error', () => {});
  process.stdout.on('error', () => {});
}

/**
 * The daemon's logger: level from daemon.logLevel (VOC_LOG_LEVEL), floods summarised (daemon.logEventsPerMinute),
 * secrets scrubbed. A log file that cannot be written never stops the daemon: it says so once and logs to stderr.
 */
export function openDaemonLog(config: Config, target: LogTarget, secrets: Array<string | null | undefined>): DaemonLog {
  if (typeof target === 'object') return { log: target, close: () => {} };
  const d = config.daemon;
  let sink: LogSink;
  if (target === 'stdout') sink = stdoutSink();
  else {
    const file = homePaths(config.home).log;
    pruneRotated(file, d.logFiles);
    sink = rotatingFileSink(file, { maxBytes: d.logMaxBytes, files: d.logFiles });
  }
  quietStdio();
  const handle: LoggerHandle = createLogger({
    write: (l, level) => sink.write(l, level),
    level: d.logLevel,
    secrets,
    perMinute: d.logEventsPerMinute,
  });
  let closed = false;
  return {
    log: handle,
    close: () => {
      if (closed) return;
      closed = true;
      handle.stop();
      sink.close();
    },
  };
}
