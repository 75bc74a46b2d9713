import { scrubText } from './config/redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SUMMARY_WINDOW_MS = 60_000;

/** A logger that may hold counted-but-unwritten lines: flush() writes their summaries, stop() also ends its timer. */
export interface LoggerHandle extends Logger {
  flush(): void;
  stop(): void;
}

/**
 * Structured log: one JSON object a line. Every line passes through scrubText, so a secret that slipped into an
 * error message is masked before it reaches a file.
 *
 * With `perMinute`, an event (by name and level) writes at most that many lines a minute; the rest are counted
 * and written as one line `{event, suppressed: n}` when the minute is over, so a flood (10,000 products learned)
 * costs a few lines instead of filling the disk. At debug level every line is written.
 */
export function createLogger(opts: {
  write: (line: string, level: Level) => void;
  level?: Level;
  secrets?: Array<string | null | undefined>;
  base?: Record<string, unknown>;
  perMinute?: number | null;
}): LoggerHandle {
  const min = ORDER[opts.level ?? 'info'];
  const secrets = opts.secrets ?? [];
  const limit = opts.perMinute && min > ORDER.debug ? opts.perMinute : null;
  const windows = new Map<string, { start: number; count: number; base: Record<string, unknown> }>();

  const writeRec = (level: Level, rec: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(rec)) if (v instanceof Error) rec[k] = v.message;
    let line: string;
    try {
      line = JSON.stringify(rec);
    } catch {
      line = JSON.stringify({ ts: rec.ts, level, event: rec.event, note: 'unserialisable fields' });
    }
    try {
      opts.write(scrubText(line, secrets) + '\n', level);
    } catch {
      // a broken log sink must never take a worker down
    }
  };

  /** Write the summary of every window that is over (all of them when `all`). */
  const flushWindows = (now: number, all: boolean) => {
    for (const [key, w] of windows) {
      if (!all && now - w.start < SUMMARY_WINDOW_MS) continue;
      windows.delete(key);
      if (w.count <= limit!) continue;
      const [level, event] = key.split('\u0000') as [Level, string];
      writeRec(level, {
        ts: new Date(now).toISOString(),
        level,
        event,
        ...w.base,
        suppressed: w.count - limit!,
        sinceTs: new Date(w.start).toISOString(),
      });
    }
  };
  const timer = limit ? setInterval(() => flushWindows(Date.now(), false), SUMMARY_WINDOW_MS / 4) : null;
  timer?.unref();

  /** False when the line is only counted: its event already wrote `limit` lines in this window. */
  const admit = (level: Level, event: string, base: Record<string, unknown>): boolean => {
    if (!limit) return true;
    const now = Date.now();
    const key = `${level}\u0000${event}`;
    let w = windows.get(key);
    if (w && now - w.start >= SUMMARY_WINDOW_MS) {
      flushWindows(now, false);
      w = undefined;
    }
    if (!w) windows.set(key, (w = { start: now, count: 0, base }));
    w.count++;
    return w.count <= limit;
  };

  const make = (base: Record<string, unknown>): Logger => {
    const emit = (level: Level, event: string, fields?: Record<string, unknown>) => {
      if (ORDER[level] < min) return;
      if (!admit(level, event, base)) return;
      writeRec(level, { ts: new Date().toISOString(), level, event, ...base, ...fields });
    };
    return {
      debug: (e, f) => emit('debug', e, f),
      info: (e, f) => emit('info', e, f),
      warn: (e, f) => emit('warn', e, f),
      error: (e, f) => emit('error', e, f),
      child: (f) => make({ ...base, ...f }),
    };
  };
  return {
    ...make(opts.base ?? {}),
    flush: () => flushWindows(Date.now(), true),
    stop: () => {
      if (timer) clearInterval(timer);
      flushWindows(Date.now(), true);
    },
  };
}

export const silentLogger: Logger = createLogger({ write: () => {}, level: 'error' });
