import type { ReportData } from './types.js';

/**
 * The JSON report: the ReportData object itself, field for field (docs/report-json.md documents every one).
 * Keys keep their declaration order, so two reports of the same data diff cleanly.
 */
export function renderJson(d: ReportData): string {
  return JSON.stringify(d, null, 2) + '\n';
}
