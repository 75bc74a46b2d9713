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

/**
 * Structured log: one JSON object a line. Every line passes through scrubText, so a secret that slipped into an
 * error message is masked before it reaches a file.
 */
export function createLogger(opts: {
  write: (line: string) => void;
  level?: Level;
  secrets?: Array<string | null | undefined>;
  base?: Record<string, unknown>;
}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const secrets = opts.secrets ?? [];
  const make = (base: Record<string, unknown>): Logger => {
    const emit = (level: Level, event: string, fields?: Record<string, unknown>) => {
      if (ORDER[level] < min) return;
      const rec: Record<string, unknown> = { ts: new Date().toISOString(), level, event, ...base, ...fields };
      for (const [k, v] of Object.entries(rec)) if (v instanceof Error) rec[k] = v.message;
      let line: string;
      try {
        line = JSON.stringify(rec);
      } catch {
        line = JSON.stringify({ ts: rec.ts, level, event, note: 'unserialisable fields' });
      }
      try {
        opts.write(scrubText(line, secrets) + '\n');
      } catch {
        // a broken log sink must never take a worker down
      }
    };
    return {
      debug: (e, f) => emit('debug', e, f),
      info: (e, f) => emit('info', e, f),
      warn: (e, f) => emit('warn', e, f),
      error: (e, f) => emit('error', e, f),
      child: (f) => make({ ...base, ...f }),
    };
  };
  return make(opts.base ?? {});
}

export const silentLogger: Logger = createLogger({ write: () => {}, level: 'error' });
