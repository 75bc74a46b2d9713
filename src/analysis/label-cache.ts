import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Store } from '../store/db.js';
import { listLabels, LABEL_KINDS, type LabelKind } from '../store/labels.js';
import type { AnalysisStats } from '../context.js';

/**
 * The seed's LabelCacheManager: a product's label map (name -> label id, per kind) in Redis under
 * `label_cache:<product>` with a TTL, or in an in-process LRU without Redis. Theme extraction looks labels up for
 * every batch; the database is read once per product per TTL. Concurrent misses share one database read.
 */
export type LabelMap = Record<LabelKind, Record<string, number>>;

export interface LabelCache {
  get(productId: string): Promise<LabelMap>;
  /** drop the cached map (relearning); both the Redis key and the local entry */
  invalidate(productId: string): Promise<void>;
}

export interface LabelCacheOptions {
  store: Store;
  redis: Redis | null;
  keyPrefix: string;
  ttlSec: number;
  size: number;
  /** hits, misses and hit rate are added here */
  stats?: Pick<AnalysisStats, 'labelCacheHits' | 'labelCacheMisses' | 'labelCacheHitRate'>;
}

export function emptyLabelMap(): LabelMap {
  return Object.fromEntries(LABEL_KINDS.map((k) => [k, {}])) as LabelMap;
}

/** Name and Chinese name both point at the label; the English name comes first, so it is the one prompts show. */
export async function loadLabelMap(store: Store, productId: string): Promise<LabelMap> {
  const map = emptyLabelMap();
  for (const l of await listLabels(store, productId)) {
    const m = map[l.kind];
    if (!m) continue;
    if (!(l.name in m)) m[l.name] = l.id;
    if (l.name_zh && !(l.name_zh in m)) m[l.name_zh] = l.id;
  }
  return map;
}

/** Label names to show a prompt: one (the first) name per label id. */
export function labelNames(map: LabelMap, kind: LabelKind): string[] {
  const seen = new Set<number>();
  const out: string[] = [];
  for (const [name, id] of Object.entries(map[kind] ?? {})) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(name);
  }
  return out;
}

export function createLabelCache(o: LabelCacheOptions): LabelCache {
  const lru = new LRUCache<string, LabelMap>({ max: o.size, ttl: o.ttlSec * 1000 });
  // one lookup per product at a time: concurrent batches share it, so a cold cache costs one database read
  const inflight = new Map<string, Promise<LabelMap>>();
  // bumped by invalidate: a load that read the old labels must not write them back over the relearned ones
  const generation = new Map<string, number>();
  const key = (productId: string) => `${o.keyPrefix}label_cache:${productId}`;
  const count = (hit: boolean) => {
    if (!o.stats) return;
    if (hit) o.stats.labelCacheHits++;
    else o.stats.labelCacheMisses++;
    const total = o.stats.labelCacheHits + o.stats.labelCacheMisses;
    o.stats.labelCacheHitRate = total ? o.stats.labelCacheHits / total : 0;
  };

  const readCached = async (productId: string): Promise<LabelMap | null> => {
    if (!o.redis) return lru.get(productId) ?? null;
    const raw = await o.redis.get(key(productId));
    if (!raw) return null;
    try {
      return { ...emptyLabelMap(), ...(JSON.parse(raw) as LabelMap) };
    } catch {
      return null; // a corrupt entry is a miss; the reload overwrites it
    }
  };

  const load = async (productId: string): Promise<LabelMap> => {
    const gen = generation.get(productId) ?? 0;
    const map = await loadLabelMap(o.store, productId);
    if ((generation.get(productId) ?? 0) !== gen) return map;
    if (o.redis) await o.redis.set(key(productId), JSON.stringify(map), 'EX', o.ttlSec);
    else lru.set(productId, map);
    return map;
  };

  return {
    get(productId) {
      const running = inflight.get(productId);
      if (running) {
        count(true);
        return running;
      }
      const p: Promise<LabelMap> = (async () => {
        const cached = await readCached(productId);
        count(!!cached);
        return cached ?? (await load(productId));
      })().finally(() => {
        if (inflight.get(productId) === p) inflight.delete(productId);
      });
      inflight.set(productId, p);
      return p;
    },
    async invalidate(productId) {
      generation.set(productId, (generation.get(productId) ?? 0) + 1);
      inflight.delete(productId);
      lru.delete(productId);
      if (o.redis) await o.redis.del(key(productId));
    },
  };
}
