import type { Config } from '../config/schema.js';
import { LLM_LANES } from '../config/schema.js';
import { usesSimulator } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Redis } from 'ioredis';
import type { SafeEmitter, VocEvents } from '../events.js';
import type { Gateway, GatewayStats } from '../llm/types.js';
import { errorMessage } from '../errors.js';
import { createGateway } from '../llm/gateway.js';
import type { UsageWriter } from '../llm/usage.js';
import { startSimulator } from '../llm/simulator/index.js';

export interface GatewayArgs {
  config: Config;
  log: Logger;
  redis: Redis | null;
  usage: UsageWriter;
  events: SafeEmitter<VocEvents>;
  baseUrl?: string;
  simulated?: boolean;
}
export type GatewayFactory = (args: GatewayArgs) => Gateway | Promise<Gateway>;

export function idleGatewayStats(config: Config, simulated = false): GatewayStats {
  return {
    limit: config.llm.qps,
    adaptiveRate: config.llm.qps,
    window: 0,
    wireDelayMs: { samples: 0, p50: 0, p95: 0, p99: 0, max: 0 },
    history: new Array(60).fill(0),
    waiting: Object.fromEntries(LLM_LANES.map((l) => [l, 0])) as GatewayStats['waiting'],
    inFlight: 0,
    requests: 0,
    rejected429: 0,
    rejected429Last5m: 0,
    retries: 0,
    failures: 0,
    promptTokens: 0,
    completionTokens: 0,
    tokensLastMinute: 0,
    cost: 0,
    costToday: 0,
    currency: config.llm.currency,
    throttle: config.redis.url ? 'redis' : 'local',
    throttleHealthy: true,
    endpoint: config.llm.baseUrl,
    model: config.llm.model,
    simulated,
  };
}

/** A gateway that refuses every call: used when the LLM module is not available, so the rest still runs. */
export function unavailableGateway(config: Config, reason: string): Gateway {
  return {
    complete: async () => {
      throw new Error(`the LLM gateway is not available: ${reason}`);
    },
    stats: () => idleGatewayStats(config),
    close: async () => {},
  };
}

/** The default: the real gateway, with the built-in simulator started in-process when the config says so. */
export async function defaultGateway(args: GatewayArgs): Promise<{ gateway: Gateway; close: () => Promise<void> }> {
  let simClose: (() => Promise<void>) | null = null;
  let baseUrl: string | undefined;
  const simulated = usesSimulator(args.config);
  try {
    if (simulated) {
      const s = args.config.simulator;
      const handle = await startSimulator({
        port: 0,
        limit: s.limit,
        latencyMs: s.latencyMs,
        malformedRate: s.malformedRate,
        dropKeyRate: s.dropKeyRate,
        errorRate: s.errorRate,
        hangRate: s.hangRate,
        seed: s.seed,
        batch: s.batch,
      });
      simClose = async () => {
        await handle.close();
      };
      baseUrl = handle.url;
      args.log.info('simulator_started', { url: handle.url });
    }
    const gateway: Gateway = createGateway({ ...args, baseUrl, simulated });
    return {
      gateway,
      close: async () => {
        await gateway.close();
        await simClose?.();
      },
    };
  } catch (err) {
    args.log.warn('gateway_unavailable', { error: errorMessage(err) });
    await simClose?.().catch(() => {});
    return { gateway: unavailableGateway(args.config, errorMessage(err)), close: async () => {} };
  }
}
