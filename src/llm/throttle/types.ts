/** Where permits come from: the in-process window or the shared Redis window. */
export interface PermitSource {
  readonly kind: 'local' | 'redis';
  /** Wait until one request may start and take that slot; rejects only when the source is closed. */
  take(): Promise<void>;
  /** effective requests per window after 429 adaptation */
  rate(): number;
  /** A provider 429 was seen: lower the rate for every caller. Resolves to the new rate, or null if unchanged. */
  on429(): Promise<number | null>;
  /** false while the shared window cannot be reached (calls are paused) */
  healthy(): boolean;
  close(): void;
}

export class ClosedError extends Error {
  constructor() {
    super('the LLM gateway is closed');
    this.name = 'ClosedError';
  }
}

/** setTimeout as a promise that a closing source can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ClosedError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(t);
      reject(new ClosedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
