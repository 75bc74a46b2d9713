import type { Column } from './xlsx.js';

/**
 * The workbook's sheets: the same fields as the CSV export, ordered for reading in Excel (each original next
 * to its Chinese) and sized so a review reads without widening columns by hand.
 */
const col = (field: string, kind: Column['kind'], width: number): Column => ({ field, kind, width });

const REVIEW_PART = [
  col('review_id', 'text', 14),
  col('product_id', 'text', 14),
  col('rating', 'number', 7),
  col('review_date', 'date', 12),
];

export const REVIEW_SHEET = {
  name: 'Reviews',
  columns: [
    ...REVIEW_PART,
    col('title', 'long', 24),
    col('title_zh', 'long', 24),
    col('body', 'long', 60),
    col('body_zh', 'long', 50),
    col('class', 'text', 9),
    col('translation_status', 'text', 12),
    col('translation_source', 'text', 10),
    col('language', 'text', 8),
  ],
};

export const INSIGHT_SHEET = {
  name: 'Insights',
  columns: [
    ...REVIEW_PART,
    col('month', 'text', 9),
    col('dimension', 'text', 18),
    col('dimension_zh', 'text', 12),
    col('type', 'text', 16),
    col('sentiment', 'text', 10),
    col('quote', 'long', 50),
    col('summary_zh', 'long', 30),
  ],
};

export const THEME_SHEET = {
  name: 'Themes',
  columns: [
    ...REVIEW_PART,
    col('month', 'text', 9),
    col('w', 'text', 7),
    col('tag', 'text', 24),
    col('label', 'text', 20),
    col('label_zh', 'text', 14),
  ],
};
