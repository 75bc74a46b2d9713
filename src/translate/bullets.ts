import type { DaemonContext } from '../context.js';
import { claimBulletProducts, readCache, releaseBullets, settleBullets, writeCache } from '../store/translations.js';
import { normaliseForPrompt, sha256 } from '../text.js';
import { planFor } from './prepare.js';
import { convertChinese } from '../language.js';
import { newTally, translateTexts } from './call.js';

/**
 * The seed's task_translate_bullet_points: a product's bullet points (a JSON array) travel as one keyed batch on
 * the translation lane and are stored as bullet_points_zh, in the same order. Cache and skip rules as for reviews.
 */
export interface BulletsSummary {
  [key: string]: unknown;
  products: number;
  translated: number;
  failed: number;
  calls: number;
  cost: number;
}

function parseBullets(raw: string | null): string[] {
  try {
    const v = JSON.parse(raw ?? '[]');
    return Array.isArray(v) ? v.map((x) => String(x ?? '')) : [];
  } catch {
    return [];
  }
}

export async function runBullets(
  ctx: DaemonContext,
  o: { jobId: number | null; productId?: string | null; signal?: AbortSignal },
): Promise<BulletsSummary> {
  const owner = ctx.daemonId;
  const target = ctx.config.translate.targetLanguage;
  const key = { model: ctx.config.llm.model, targetLang: target };
  const tally = newTally();
  const summary: BulletsSummary = { products: 0, translated: 0, failed: 0, calls: 0, cost: 0 };
  const stopped = () => ctx.signal.aborted || !!o.signal?.aborted;
  try {
    while (!stopped()) {
      const products = await claimBulletProducts(ctx.store, {
        owner,
        leaseMs: ctx.config.daemon.leaseMs,
        limit: 20,
        productId: o.productId,
      });
      if (products.length === 0) break;
      await Promise.all(
        products.map(async (p) => {
          const bullets = parseBullets(p.bullet_points);
          const norms = bullets.map((b) => normaliseForPrompt(b));
          const plans = norms.map((n) => planFor(n, target));
          const send = plans.map((x) => x === 'call');
          const cached = await readCache(ctx.store, norms.filter((_, i) => send[i]).map(sha256), key);
          const ask = [...new Set(norms.filter((n, i) => send[i] && !cached.has(sha256(n))))];
          const outcomes = ask.length
            ? await ctx.lanes.submit({
                lane: 'translation',
                label: `translate bullet points x${ask.length} of ${p.id}`,
                productId: p.id,
                jobId: o.jobId,
                run: ({ signal }) =>
                  translateTexts(ask, { gateway: ctx.gateway, targetLanguage: target, productId: p.id, jobId: o.jobId, signal, tally }),
              })
            : [];
          const fresh = new Map<string, string>();
          let ok = true;
          outcomes.forEach((x, i) => (x.ok ? fresh.set(ask[i], x.value) : (ok = false)));
          summary.products++;
          if (!ok) {
            summary.failed++;
            await settleBullets(ctx.store, owner, p.id, { ok: false });
            return;
          }
          const zh = bullets.map((b, i) =>
            plans[i] === 'convert' ? convertChinese(b, target) : !send[i] ? b : (cached.get(sha256(norms[i])) ?? fresh.get(norms[i])!),
          );
          await writeCache(
            ctx.store,
            [...fresh].map(([n, t]) => ({ hash: sha256(n), translation: t })),
            key,
          );
          await settleBullets(ctx.store, owner, p.id, { ok: true, zh });
          summary.translated++;
        }),
      );
    }
  } finally {
    await releaseBullets(ctx.store, owner).catch(() => {});
  }
  summary.calls = tally.calls;
  summary.cost = Math.round(tally.cost * 1e6) / 1e6;
  if (summary.products === 0) return summary;
  const text = `bullet points done: ${summary.translated}/${summary.products} products, ${summary.calls} calls`;
  ctx.log.info('translate_bullets', { jobId: o.jobId, text });
  ctx.events.emit('log:line', { text });
  return summary;
}
