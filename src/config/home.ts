import { chmodSync, mkdirSync } from 'node:fs';
import { VocError } from '../errors.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted (is it owned by another user?)',
  ENOTDIR: 'a file stands where a directory should be',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

/**
 * $VOC_HOME, created when missing, and private: 0700, also when it already existed with looser bits. A home that
 * cannot be made (a read-only parent, someone else's directory) is a one-line error naming it, not a stack trace.
 */
export function prepareHome(home: string): void {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    chmodSync(home, 0o700);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code ? `${REASONS[e.code] ?? e.code} (${e.code})` : e.message;
    throw new VocError('HOME_UNUSABLE', `cannot use ${home} as the voc home: ${reason}`, {
      hint: 'set VOC_HOME to a directory you can write, or fix its owner and permissions',
    });
  }
}
