import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/schema.js';
import { PROBE_STEPS, type AdaptiveParams } from '../adaptive.js';
import type { Logger } from '../../log.js';
import { COLD_EXTRA_MS, PENDING_POLL_MS } from './local.js';
import { SLIDING_WINDOW_LUA } from './script.js';
import { closedError, type Permit, type PermitSource } from './types.js';
import { sleep } from '../../abort.js';
import { errorMessage } from '../../errors.js';

type ScriptReply = [number, string, string, number, string, string?, string?];
type WithScript = Redis & {
  vocSlidingWindow(
    windowKey: string,
    rateKey: string,
    slotKey: string,
    epochKey: string,
    pendingKey: string,
    urgentKey: string,
    ...args: string[]
  ): Promise<ScriptReply>;
};
type Keys = { window: string; rate: string; slot: string; epoch: string; pending: string; urgent: string };
type Mode = 'take' | 'wire' | 'release' | '429';

/**
 * The Redis keys of the shared window: `${keyPrefix}${rateKey}` is the sorted set of wire times (ZCARD = requests
 * sent in the window), `:pending` the permits not yet on the wire.
 */
export function throttleKeys(cfg: Config): Keys {
  const base = `${cfg.redis.keyPrefix}${cfg.llm.rateKey}`;
  return {
    window: base,
    rate: `${base}:rate`,
    slot: `${base}:slot`,
    epoch: `${base}:epoch`,
    pending: `${base}:pending`,
    urgent: `${base}:urgent`,
  };
}

/** How long a script call may take before Redis counts as unreachable, and how often to look while it is. */
const CALL_TIMEOUT_MS = 2000;
const DOWN_POLL_MS = 250;
const READY_WAIT_MS = 1000;

/**
 * The extra wait of a process whose slot another took: a random share of `range` (the seed's 0.1-0.5 s), so pollers
 * fall out of step, but no longer than the winner's `theirQueued` requests take at one slot each.
 */
export function lostSlotBackoffMs(range: [number, number], theirQueued: number, spacingMs: number, random = Math.random): number {
  const [lo, hi] = range;
  return Math.min(lo + random() * (hi - lo), Math.max(0, theirQueued) * spacingMs);
}

/**
 * The shared window in Redis. One pump per process polls it; a full window answers with the exact wait to the next
 * free slot. When a poll after that exact wait finds the slot taken by another process, back off randomly
 * (pollBackoffMs, the seed's 0.1-0.5 s) before the next poll, so competing processes do not poll in lockstep, but
 * never longer than the slots the winner will go on taking (it tells how many requests it has queued): a back-off
 * past them would leave slots unused while this process has requests waiting. Never spins; when Redis cannot be
 * reached no permit is given at all (fail safe) until it answers again.
 */
export class RedisPermits implements PermitSource {
  readonly kind = 'redis' as const;
  private readonly stop = new AbortController();
  private readonly id = randomBytes(6).toString('hex');
  private seq = 0;
  private lastRate: number;
  /** the Redis data epoch seen last ('' before the first call): a change means the window was lost */
  private epoch = '';
  private up = true;
  private readonly redis: WithScript;
  /** aborts the current wait between polls (see nudge) */
  private wake: AbortController | null = null;

  constructor(
    redis: Redis,
    private keys: Keys,
    private p: AdaptiveParams,
    private backoffMs: [number, number],
    private log: Logger,
    /**
     * How long a permit may stay off the wire before its slot lapses: the attempt's timeout, which aborts a request
     * not sent by then, so a live process's request is counted or never sent. Only a process killed between permit
     * and wire leaves a slot behind this long (the wire follows within ms unless the machine is starved: bench/wire).
     */
    private pendingTtlMs = 60_000,
  ) {
    if (!('vocSlidingWindow' in redis)) redis.defineCommand('vocSlidingWindow', { numberOfKeys: 6, lua: SLIDING_WINDOW_LUA });
    this.redis = redis as WithScript;
    this.lastRate = p.qps;
  }

  rate(): number {
    return this.lastRate;
  }

  healthy(): boolean {
    return this.up;
  }

  private args(mode: Mode, member: string, wiredAt: number, queued: number, urgent: boolean): string[] {
    const p = this.p;
    return [
      mode,
      String(p.windowMs),
      String(p.qps),
      member,
      p.enabled ? '1' : '0',
      String(p.minQps),
      String(p.decreaseFactor),
      String(p.recoverStep),
      String(p.recoverEveryMs),
      String(PROBE_STEPS),
      String(COLD_EXTRA_MS),
      this.epoch,
      String(this.pendingTtlMs),
      String(Math.max(0, Date.now() - wiredAt)),
      String(PENDING_POLL_MS),
      String(queued),
      urgent ? '1' : '0',
      this.id,
    ];
  }

  private async call(
    mode: Mode,
    member = `${this.id}:${++this.seq}`,
    wiredAt = Date.now(),
    queued = 0,
    urgent = false,
  ): Promise<ScriptReply> {
    // a command queued while disconnected could run much later; ask only when connected
    if (this.redis.status !== 'ready') await this.ready();
    const k = this.keys;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.redis.vocSlidingWindow(
          k.window,
          k.rate,
          k.slot,
          k.epoch,
          k.pending,
          k.urgent,
          ...this.args(mode, member, wiredAt, queued, urgent),
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Wait for the connection (a client still connecting at start-up is not an outage), at most READY_WAIT_MS. */
  private ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        this.stop.signal.removeEventListener('abort', onStop);
        if (err) reject(err);
        else resolve();
      };
      const onReady = () => done();
      const onStop = () => done(closedError());
      const timer = setTimeout(() => done(new Error(`Redis is ${this.redis.status}`)), READY_WAIT_MS);
      this.redis.once('ready', onReady);
      this.stop.signal.addEventListener('abort', onStop, { once: true });
      if (this.redis.status === 'ready') done();
    });
  }

  private setHealth(ok: boolean, err?: unknown): void {
    if (ok === this.up) return;
    this.up = ok;
    if (ok) this.log.info('throttle_recovered', { throttle: 'redis' });
    else
      this.log.error('throttle_unavailable', {
        throttle: 'redis',
        error: errorMessage(err),
        note: 'LLM calls paused until Redis answers',
      });
  }

  async take(queued: () => number = () => 0, urgent: () => boolean = () => false): Promise<Permit> {
    let waitedExact = false;
    for (;;) {
      if (this.stop.signal.aborted) throw closedError();
      let reply: ScriptReply;
      const member = `${this.id}:${++this.seq}`;
      try {
        reply = await this.call('take', member, Date.now(), queued(), urgent());
      } catch (err) {
        if (this.stop.signal.aborted) throw closedError();
        this.setHealth(false, err);
        waitedExact = false;
        await sleep(DOWN_POLL_MS, this.stop.signal);
        continue;
      }
      this.setHealth(true);
      const [granted, wait, rate, , latest, epoch, theirs] = reply;
      if (epoch) this.epoch = String(epoch);
      this.lastRate = Number(rate);
      if (Number(granted) === 1) return this.permit(member);
      let ms = Math.ceil(Number(wait));
      // we waited the exact time and another process took the slot: back off so pollers fall out of step, no longer
      // than the slots that process will go on taking (its queued requests, one spacing each). Not for a fast-lane
      // request: it has claimed the next slot (see the urgent key in script.ts)
      if (waitedExact && !urgent() && !String(latest).startsWith(`${this.id}:`))
        ms += lostSlotBackoffMs(this.backoffMs, Number(theirs ?? 0), this.p.windowMs / Math.max(1, this.lastRate));
      waitedExact = true;
      const wake = (this.wake = new AbortController());
      await sleep(ms, this.stop.signal, wake.signal);
      this.wake = null;
    }
  }

  /** A fast-lane request has just started waiting: poll now (to claim the next slot) instead of after a back-off. */
  nudge(): void {
    this.wake?.abort();
  }

  /**
   * The wire time goes to Redis as "so many ms ago" when the call is sent, so it needs no shared clock. Until it
   * lands the permit counts as pending (starting now), the safe side; if Redis cannot be reached it lapses.
   */
  private permit(member: string): Permit {
    let open = true;
    const report = (mode: 'wire' | 'release', at: number) => {
      if (!open) return;
      open = false;
      this.call(mode, member, at).catch((err) => this.log.debug('throttle_report_failed', { mode, error: errorMessage(err) }));
    };
    return { wired: (at) => report('wire', at), release: () => report('release', Date.now()) };
  }

  async on429(): Promise<number | null> {
    try {
      const [changed, , rate] = await this.call('429');
      this.lastRate = Number(rate);
      return Number(changed) === 1 ? this.lastRate : null;
    } catch (err) {
      this.setHealth(false, err);
      return null;
    }
  }

  close(): void {
    this.stop.abort();
  }
}
