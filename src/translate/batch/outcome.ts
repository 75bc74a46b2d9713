import type { ReviewOutcome } from '../../store/translations.js';
import type { PreparedReview, TextResult } from '../prepare.js';

/** How a prepared review ends once its texts have resolved (the same rule as a realtime run's). */
export async function outcomeOf(r: PreparedReview): Promise<ReviewOutcome> {
  const [body, title] = await Promise.all([r.body, r.title ?? Promise.resolve(null)]);
  const texts = [body, title].filter((t): t is TextResult => t !== null);
  const bad = texts.find((t) => !t.ok);
  if (bad && !bad.ok) return { id: r.row.id, status: 'failed', error: bad.error, attempts: r.row.tr_attempts };
  const value = (t: TextResult | null) => (t && t.ok ? t.value : null);
  const all = texts as Array<Extract<TextResult, { ok: true }>>;
  const status = all.every((t) => t.source === 'skip') ? 'skipped' : 'done';
  const cached = status === 'done' && all.every((t) => t.source !== 'call');
  return { id: r.row.id, status, bodyZh: value(body), titleZh: value(title), cached, attempts: r.row.tr_attempts };
}
