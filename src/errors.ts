/**
 * Error classes that decide a job's fate and how the CLI reports a failure.
 * A user error carries a code and a hint; anything else is a bug and keeps its stack.
 */
export class VocError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: number;
  constructor(code: string, message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VocError';
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** Bad configuration: names the option, the value and what is allowed. */
export class ConfigError extends VocError {
  constructor(message: string, hint?: string) {
    super('CONFIG', message, { hint });
    this.name = 'ConfigError';
  }
}

/** The daemon cannot be reached or started (exit 2 by convention). */
export class DaemonUnavailableError extends VocError {
  constructor(message: string, hint = 'start it with `voc daemon start`') {
    super('DAEMON_UNAVAILABLE', message, { hint, exitCode: 2 });
    this.name = 'DaemonUnavailableError';
  }
}

/**
 * The daemon is stopping: work was refused or cut short, not failed, and it resumes after a restart. The one error
 * for it, whoever stops (the lane runner draining, the gateway closing, a service or a job seeing the daemon's signal);
 * the HTTP API answers it with 503 STOPPING.
 */
export class StoppingError extends VocError {
  constructor(message = 'the daemon is stopping') {
    super('STOPPING', message);
    this.name = 'StoppingError';
  }
}

/** Retrying cannot help: bad input, invalid answer after all attempts, 4xx other than 429. */
export class UnrecoverableError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UnrecoverableError';
  }
}

/** The message of anything thrown: an Error's, a thrown object's own `message` string, else the value as text. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
