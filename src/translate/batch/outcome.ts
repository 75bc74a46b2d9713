import type { ReviewOutcome } from '../../store/translations.js';
import type { PreparedReview, TextResult } from '../prepare.js';

/**
 * How a prepared review ends once its texts have resolved (the same rule as a realtime run's). Settling a batch,
 * its answers are read back from the cache where they were stored: `answered` counts those as the model's work
 * (source llm), not as cache hits.
 */
export async function outcomeOf(r: PreparedReview, o: { answered: boolean }): Promise<ReviewOutcome> {
  const [body, title] = await Promise.all([r.body, r.title ?? Promise.resolve(null)]);
  const texts = [body, title].filter((t): t is TextResult => t !== null);
  const bad = texts.find((t) => !t.ok);
  if (bad && !bad.ok) return { id: r.row.id, status: 'failed', error: bad.error, attempts: r.row.tr_attempts };
  const value = (t: TextResult | null) => (t && t.ok ? t.value : null);
  const all = texts as Array<Extract<TextResult, { ok: true }>>;
  const status = all.every((t) => t.source === 'skip') ? 'skipped' : 'done';
  const via = (x: 'call' | 'cache' | 'convert') => all.some((t) => t.source === x);
  const paid = via('call') || (o.answered && via('cache'));
  const source = status === 'skipped' ? null : paid ? 'llm' : via('cache') ? 'cache' : 'opencc';
  return {
    id: r.row.id,
    status,
    bodyZh: value(body),
    titleZh: value(title),
    cached: source === 'cache',
    source,
    attempts: r.row.tr_attempts,
  };
}
