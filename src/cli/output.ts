import { errorMessage, VocError } from '../errors.js';
import { API_KEY_ENV, knownSecrets, scrubText } from '../config/redact.js';

/** Progress bars and colours only on an interactive terminal, never under NO_COLOR, cron or a pipe. */
export function isInteractive(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb' && !process.env.CI;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Secrets that must never reach the terminal, whatever an error message says: those of every configuration
 * loaded (config file, environment, flags), and the key variables even when no configuration was loaded yet.
 */
const secrets = (): string[] => [...knownSecrets(), ...API_KEY_ENV.map((name) => process.env[name] ?? '')];

/**
 * The one error funnel: prints the one-line reason (and a hint) for a user error, a stack trace for a bug, and
 * sets the exit code. Commands throw; only this function decides what the user sees.
 */
export function handleError(err: unknown): void {
  if (err instanceof VocError) {
    process.stderr.write(scrubText(`voc: ${err.message}`, secrets()) + '\n');
    if (err.hint) process.stderr.write(scrubText(`hint: ${err.hint}`, secrets()) + '\n');
    process.exitCode = err.exitCode;
    return;
  }
  const e = err as { code?: string; exitCode?: number };
  if (e && typeof e.code === 'string' && e.code.startsWith('commander.')) {
    process.exitCode = e.exitCode ?? 1;
    return;
  }
  const text = err instanceof Error && err.stack ? err.stack : errorMessage(err);
  process.stderr.write(scrubText(`voc: internal error: ${text}`, secrets()) + '\n');
  process.exitCode = 70;
}
