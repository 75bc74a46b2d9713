import { z } from 'zod';

/** Every option carries a one-line description; `voc config --help` and the README reference print them. */
export const LANES = ['ingestion', 'reports', 'learning', 'translation', 'insight_extraction', 'theme_extraction'] as const;
export type LaneName = (typeof LANES)[number];
export const POOLS = ['base', 'vip', 'trans', 'insight', 'theme'] as const;
export type PoolName = (typeof POOLS)[number];
export const LLM_LANES = ['learning', 'translation', 'insight_extraction', 'theme_extraction'] as const;
export type LlmLane = (typeof LLM_LANES)[number];

const rate = z.number().min(0).max(1);
const ms = z.number().int().min(0);
const range = z.tuple([ms, ms]).refine(([a, b]) => a <= b, 'must be [min, max] with min <= max');
const laneName = z.enum(LANES);
const poolName = z.enum(POOLS);

const lane = z.object({
  pools: z.array(poolName).min(1).describe('pools that serve the lane: the first is its own, the rest take it only when the first is full'),
});
const pool = z.object({
  cap: z.number().int().min(1).max(10000).describe('concurrency cap: lane tasks in flight at once'),
  lanes: z.array(laneName).min(1).describe('lanes the pool serves, in priority order'),
  jitterMs: range.describe(
    'random start-up delay [min, max] in ms before an LLM job starts while others run or wait in its pool (a job alone starts at once)',
  ),
  llm: z.boolean().describe('whether jobs of this pool may call the LLM'),
});
const price = z.object({
  input: z.number().min(0).describe('price per million prompt tokens'),
  output: z.number().min(0).describe('price per million completion tokens'),
  batchInput: z.number().min(0).optional().describe('Batch API price per million prompt tokens (default half of input)'),
  batchOutput: z.number().min(0).optional().describe('Batch API price per million completion tokens (default half of output)'),
});
const classSizes = z.object({
  vip: z.number().int().min(1).max(100),
  standard: z.number().int().min(1).max(100),
  short: z.number().int().min(1).max(100),
});

export const configSchema = z.object({
  home: z.string().min(1).describe('state directory: database, socket, pid, log (env VOC_HOME, default ~/.voc)'),
  store: z.object({
    databaseUrl: z.string().nullable().describe('PostgreSQL URL; null uses the SQLite file (env VOC_DATABASE_URL)'),
    sqliteFile: z.string().min(1).describe('SQLite file name, relative to home'),
    poolMax: z.number().int().min(1).max(500).describe('PostgreSQL connection pool size'),
  }),
  redis: z.object({
    url: z.string().nullable().describe('Redis URL for the shared throttle, label cache and ingest buffer (env VOC_REDIS_URL)'),
    keyPrefix: z.string().describe('prefix for every Redis key voc writes'),
  }),
  lanes: z.record(laneName, lane).describe('the six lanes and the pools that serve them'),
  pools: z.record(poolName, pool).describe('the five pools: caps, lanes, start-up jitter'),
  llm: z.object({
    baseUrl: z.string().url().describe('OpenAI-compatible endpoint (env VOC_LLM_BASE_URL)'),
    model: z.string().min(1).describe('model name (env VOC_LLM_MODEL)'),
    apiKey: z.string().nullable().describe('API key (env VOC_LLM_API_KEY, DASHSCOPE_API_KEY or OPENAI_API_KEY); never printed'),
    simulator: z.enum(['auto', 'always', 'never']).describe('auto: the built-in simulator answers when no API key is set'),
    qps: z.number().min(0.1).max(10000).describe('global cap: HTTP requests started in any sliding window (env VOC_QPS)'),
    windowMs: z.number().int().min(10).max(60000).describe('length of the sliding window in ms'),
    marginMs: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .describe('safety margin added to the window against jitter between writing a request and its arrival at the provider'),
    rateKey: z.string().min(1).describe('Redis sorted set holding the shared window'),
    pollBackoffMs: range.describe(
      'random back-off [min, max] between Redis polls after losing a slot to another daemon, cut to the slots its queued requests take',
    ),
    timeoutMs: z.number().int().min(100).describe('per-request timeout in ms'),
    maxAttempts: z.number().int().min(1).max(50).describe('attempts per call before it fails'),
    retryBaseMs: z.number().int().min(1).describe('first retry back-off in ms (doubles each attempt, with jitter)'),
    retryMaxMs: z.number().int().min(1).describe('largest retry back-off in ms'),
    learningRetryBaseMs: z.number().int().min(1).describe('first retry back-off of learning calls (the seed: more aggressive retry)'),
    priorities: z
      .record(z.enum(['learning', 'translation', 'insight_extraction', 'theme_extraction']), z.number().int().min(0).max(9))
      .describe('gateway priority per lane: lower goes first'),
    adaptive: z.object({
      enabled: z.boolean().describe('lower the rate after a 429 and climb back after successes'),
      decreaseFactor: z.number().min(0.1).max(0.99).describe('rate multiplier applied on a 429'),
      minQps: z.number().min(0.1).describe('floor of the adaptive rate'),
      recoverStep: z.number().min(0.01).describe('requests/s added back per recovery step'),
      recoverEveryMs: z.number().int().min(10).describe('time between recovery steps without a 429'),
    }),
    tokensPerMinute: z.number().int().min(1).nullable().describe('optional cap on tokens per minute (null: none)'),
    currency: z.string().min(1).describe('currency of the price table'),
    prices: z.record(z.string(), price).describe('price table per model, per million tokens'),
  }),
  simulator: z.object({
    port: z.number().int().min(0).max(65535).describe('port of `voc sim`'),
    limit: z.number().min(0.1).describe('requests per second the simulator accepts before answering 429'),
    latencyMs: z.number().int().min(0).describe('mean simulated latency in ms'),
    malformedRate: rate.describe('share of answers that are not JSON'),
    dropKeyRate: rate.describe('share of batch answers missing a key'),
    errorRate: rate.describe('share of requests answered HTTP 500'),
    hangRate: rate.describe('share of requests never answered'),
    seed: z.number().int().describe('random seed for latency and faults'),
    batch: z.object({
      completionMs: z.number().int().min(0).describe('time a Batch API batch takes from creation to completion, in ms'),
      failRate: rate.describe('share of batch lines answered with an error (in the error file)'),
      malformedRate: rate.describe('share of batch lines whose answer is not the JSON asked for'),
      expireAfterShare: rate.nullable().describe('batches expire with only this share of their lines done (null: they complete)'),
      rogueLines: z.boolean().describe('add output lines with an unknown and a repeated custom_id'),
      rejectUploads: z.boolean().describe('answer every file upload with HTTP 400'),
      maxLines: z.number().int().min(1).describe('requests per input file the Batch API accepts'),
      maxBytes: z.number().int().min(1).describe('bytes per input file the Batch API accepts'),
    }),
  }),
  translate: z.object({
    targetLanguage: z.string().min(2).describe('target language (BCP 47), default Simplified Chinese'),
    packing: z.enum(['seed', 'tokens']).describe('seed: 1/5/20 reviews per call by class; tokens: fill calls up to tokenBudget'),
    vipLength: z.number().int().min(1).describe('a body longer than this (code points) is vip'),
    vipExtremeLength: z.number().int().min(1).describe('a 1- or 5-star body longer than this is vip'),
    extremeRatings: z.array(z.number().int().min(1).max(5)).describe('ratings that count as extreme'),
    shortMaxLength: z.number().int().min(0).describe('a body of at most this many code points is short'),
    batchSize: classSizes.describe('reviews per call by class'),
    tokenBudget: z.number().int().min(100).describe('input-token budget per call in the tokens profile'),
    chunkSize: z.number().int().min(1).max(10000).describe('reviews claimed from the store at a time'),
    maxAttempts: z.number().int().min(1).describe('runs that may retry a failed review before it stays failed'),
    mode: z
      .enum(['realtime', 'batch', 'auto'])
      .describe("realtime calls, the provider's Batch API (half price, up to 24 h), or batch for backlogs of batchMinReviews+"),
    batchMinReviews: z.number().int().min(1).describe('in auto mode, backlogs of at least this many reviews go to the Batch API'),
    batchPollMs: z.number().int().min(50).describe('how often a batch in flight is polled'),
    batchRedo: z
      .enum(['realtime', 'batch'])
      .describe(
        'failed, malformed or missing batch lines are redone in a follow-up batch (half price; after 3 rounds the rest goes realtime) or in realtime (split)',
      ),
    batchMaxRequests: z.number().int().min(2).max(50000).describe("requests per batch file (the provider's limit: 50,000)"),
    batchMaxBytes: z.number().int().min(10000).max(104857600).describe("bytes per batch file (the provider's limit: 100 MB)"),
  }),
  analysis: z.object({
    autoAfterTranslation: z.boolean().describe('start insights and themes after translation by itself (costs money)'),
    autoLearn: z.boolean().describe('learn a new product on ingest by itself (off: learning runs when analysis is asked for)'),
    learnMinReviews: z
      .number()
      .int()
      .min(1)
      .describe('reviews a product needs before it is learned (automatically, or as estimated by ingest)'),
    learnSampleSize: z.number().int().min(1).max(500).describe('reviews sampled for learning, spread over ratings'),
    batchSize: classSizes.describe('reviews per analysis call by class'),
    maxInsights: z.number().int().min(1).max(20).describe('insights kept per review'),
    writeBatch: z.number().int().min(1).describe('reviews whose results share one transaction'),
    labelCacheTtlSec: z.number().int().min(1).describe('label cache TTL in seconds'),
    labelCacheSize: z.number().int().min(1).describe('in-process label cache entries'),
    maxAttempts: z.number().int().min(1).describe('attempts per review before it is marked failed'),
    chunkSize: z.number().int().min(1).describe('reviews claimed from the store at a time'),
    productsAtOnce: z
      .number()
      .int()
      .min(1)
      .max(500)
      .describe('products `voc analyze --all` works on at once (most have few reviews: too few leave the budget idle)'),
  }),
  beat: z.object({
    drainIngestBufferMs: z.number().int().min(100).describe('interval of the ingest-buffer drain (Redis list)'),
    checkPendingTranslationsMs: z.number().int().min(100).describe('interval of the pending-translation check'),
    checkPendingTranslations: z.boolean().describe('off: only `voc translate-pending` starts translation'),
    ingestBufferKey: z.string().min(1).describe('Redis list other producers push reviews to'),
  }),
  daemon: z.object({
    leaseMs: z.number().int().min(1000).describe('lease of a claim; an expired claim is taken over'),
    heartbeatMs: z.number().int().min(100).describe('daemon heartbeat and lease renewal interval (at most a third of leaseMs)'),
    shutdownTimeoutMs: z.number().int().min(0).describe('time SIGTERM waits for in-flight jobs'),
    maxRequestBytes: z.number().int().min(1024).describe('largest request the socket accepts'),
    heapGrowthPercent: z
      .number()
      .int()
      .min(0)
      .max(400)
      .describe("how far V8 lets the daemon's heap grow past its live size before collecting (0: V8's own, several times)"),
    statsIntervalMs: z.number().int().min(50).describe('interval of the live stats stream'),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).describe('least severe level the daemon logs (env VOC_LOG_LEVEL)'),
    logMaxBytes: z.number().int().min(1024).describe('daemon.log is rotated when a line would take it past this many bytes'),
    logFiles: z.number().int().min(1).max(100).describe('rotated logs kept (daemon.log.1 is the newest); older ones are deleted'),
    logEventsPerMinute: z
      .number()
      .int()
      .min(1)
      .describe('lines of one event per minute before the rest are counted into one summary line (debug logs every line)'),
    metricsPort: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .nullable()
      .describe('Prometheus /metrics and /health on this TCP port (null: off; 0: any free port)'),
    metricsHost: z.string().min(1).describe('address the metrics port binds to; loopback unless you mean to expose it'),
  }),
  ingest: z.object({
    chunkSize: z.number().int().min(1).max(100000).describe('rows sent to the ingestion lane per chunk'),
    maxFieldLength: z.number().int().min(1).describe('longest accepted field in characters'),
  }),
  demo: z.object({
    maxSpend: z.number().min(0).describe('with a real key, the demo asks before spending more than this'),
  }),
});

export type Config = z.infer<typeof configSchema>;
