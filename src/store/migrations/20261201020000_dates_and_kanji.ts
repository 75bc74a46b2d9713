import type { Knex } from 'knex';
import { parseDate } from '../../dates.js';

/**
 * Today's ingest rules, applied to what earlier versions stored:
 * - review dates as YYYY-MM-DD. Dates were kept as written unless they were Unix seconds (`03/15/2024`, `March 20,
 *   2024`), which made report months of `03/15/2` and fell out of --since/--until; a re-ingest cannot fix them (the
 *   same review is a duplicate). Each is read as ingest reads it now, or left out when it is not a date.
 * - reviews skipped as Chinese are queued again: short Japanese in kanji alone (最悪, 満足) was skipped without a
 *   word. The skip rule passes real Chinese over again at no cost.
 */
export async function up(knex: Knex): Promise<void> {
  let last = 0;
  for (;;) {
    // ISO-shaped values (____-__-__) are as ingest stores them now: only the others are read
    const rows = (await knex('reviews')
      .select('id', 'review_date')
      .whereNotNull('review_date')
      .whereNot('review_date', 'like', '____-__-__')
      .where('id', '>', last)
      .orderBy('id')
      .limit(1000)) as Array<{ id: number; review_date: string }>;
    if (rows.length === 0) break;
    last = Number(rows[rows.length - 1].id);
    for (const r of rows)
      await knex('reviews')
        .where('id', r.id)
        .update({ review_date: parseDate(r.review_date, false) ?? null });
  }
  await knex('reviews').where('tr_status', 'skipped').update({ tr_status: 'pending', tr_owner: null, tr_lease: null, tr_job: null });
}

export async function down(): Promise<void> {
  // the dates as written and the old skips are not kept: nothing to restore
}
