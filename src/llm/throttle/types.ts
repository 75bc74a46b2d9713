import { StoppingError } from '../../errors.js';

/**
 * One slot of the window, held by one request. Until the request is written to the socket the slot counts as
 * starting now (it may leave at any moment), so a request that has a permit but is late to the wire can never bunch
 * with later ones; once written, the slot counts from its wire time, which is what the provider counts.
 */
export interface Permit {
  /** the request was written to the socket at `at` (epoch ms) */
  wired(at: number): void;
  /** the request will never be sent (its caller gave up before the wire): free the slot */
  release(): void;
}

/** Where permits come from: the in-process window or the shared Redis window. */
export interface PermitSource {
  readonly kind: 'local' | 'redis';
  /**
   * Wait until one request may start and take that slot; rejects only when the source is closed. `queued` tells how
   * many more requests this process will ask a slot for right after this one (a shared window lets other processes
   * know how long this one will keep taking slots). `urgent` tells whether the request this slot is for is of the
   * fast lane (learning): a shared window gives it the next slot ahead of other processes' requests.
   */
  take(queued?: () => number, urgent?: () => boolean): Promise<Permit>;
  /** A fast-lane request has just started waiting: a take() waiting out a back-off should look again now. */
  nudge?(): void;
  /** effective requests per window after 429 adaptation */
  rate(): number;
  /** A provider 429 was seen: lower the rate for every caller. Resolves to the new rate, or null if unchanged. */
  on429(): Promise<number | null>;
  /** false while the shared window cannot be reached (calls are paused) */
  healthy(): boolean;
  close(): void;
}

/** What a closed source (or gateway) answers a caller with. */
export const closedError = () => new StoppingError('the LLM gateway is closed');
