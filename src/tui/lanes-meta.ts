import { LANES, type LaneName, type PoolName } from '../config/schema.js';

/** Lane order on screen; the digit keys of "p" + digit follow it (1 = ingestion ... 6 = theme_extraction). */
export const LANE_ORDER: readonly LaneName[] = LANES;

export const SHORT_LANE: Record<LaneName, string> = {
  ingestion: 'ingestion',
  reports: 'reports',
  learning: 'learning',
  translation: 'translation',
  insight_extraction: 'insight',
  theme_extraction: 'theme',
};

/** The pool each lane owns by default; a lane seen running in another pool is overflow (learning in insight/theme). */
export const HOME_POOL: Record<LaneName, PoolName> = {
  ingestion: 'base',
  reports: 'base',
  learning: 'vip',
  translation: 'trans',
  insight_extraction: 'insight',
  theme_extraction: 'theme',
};

/** The lane behind key `digit` ("1".."6"), or null. */
export function laneForDigit(digit: string): LaneName | null {
  const i = Number.parseInt(digit, 10);
  return Number.isInteger(i) && i >= 1 && i <= LANE_ORDER.length ? LANE_ORDER[i - 1] : null;
}
