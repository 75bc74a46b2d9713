/**
 * The one data object every report format renders. Field names are a public contract (docs/report-json.md):
 * add fields freely, never rename or remove one without raising schemaVersion.
 * Shares are fractions 0..1 rounded to 4 decimals, averages to 2 decimals, so every format prints the same numbers.
 */
export const REPORT_SCHEMA_VERSION = 1 as const;

export type Ratings = { '1': number; '2': number; '3': number; '4': number; '5': number };

export interface CountRow {
  name: string;
  reviews: number;
  share: number;
}

export interface MonthRow {
  /** YYYY-MM */
  month: string;
  reviews: number;
  averageRating: number;
}

export interface Overview {
  reviews: number;
  averageRating: number | null;
  ratings: Ratings;
  byMonth: MonthRow[];
  /** reviews without a review date are counted in `reviews` but in no month */
  undated: number;
  translated: { reviews: number; share: number };
  analysed: { reviews: number; share: number };
  themed: { reviews: number; share: number };
  marketplaces: CountRow[];
  languages: LanguageRow[];
}

/** Reviews of one detected language and what translation did with them. */
export interface LanguageRow extends CountRow {
  /** already in the target language: no call */
  skipped: number;
  /** Chinese in the other script, converted locally (OpenCC): no call */
  converted: number;
  /** translated by the model (or its cache) */
  translated: number;
}

export interface Quote {
  quote: string;
  summaryZh: string;
  sentiment: string;
  type: string;
}

export interface DimensionRow {
  name: string;
  nameZh: string | null;
  /** false for a dimension the insights used that learning never produced */
  learned: boolean;
  insights: number;
  painPoints: number;
  praise: number;
  positive: number;
  neutral: number;
  negative: number;
  /** (positive - negative) / insights, -1..1; null when the dimension has no insight */
  netSentiment: number | null;
  quotes: Quote[];
}

export interface RankedItem {
  rank: number;
  dimension: string;
  /** Chinese summary the group was formed on, or the normalised quote when the summary is empty */
  key: string;
  summaryZh: string;
  quote: string;
  reviews: number;
  ratings: Ratings;
}

export interface Ranking {
  /** number of distinct groups before the list was cut to `items` */
  groups: number;
  items: RankedItem[];
}

export interface LabelShare {
  name: string;
  nameZh: string | null;
  reviews: number;
  share: number;
}

export interface FiveWRow {
  w: 'who' | 'what' | 'when' | 'where' | 'why';
  labels: LabelShare[];
  /** reviews the shares divide by: the larger of "theme status done" and "reviews with at least one tag" */
  base: number;
  /** theme tags of this W that matched no learned label */
  unmappedTags: number;
}

/** Calls of one kind: realtime through the gateway, or Batch API requests (billed at the batch price). */
export interface CostPart {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}

export interface Cost {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cost: number;
  currency: string;
  /** calls answered by the built-in simulator: their translations and analyses are not real */
  simulatedCalls: number;
  /** the same figures split: realtime calls, and Batch API requests */
  realtime: CostPart;
  batch: CostPart;
}

export interface PeriodFigures {
  from: string;
  to: string;
  reviews: number;
  averageRating: number | null;
  painPoints: number;
}

export interface Comparison {
  current: PeriodFigures;
  previous: PeriodFigures;
  /** pain point insights per dimension in both periods, largest current first */
  painPointsByDimension: Array<{ dimension: string; current: number; previous: number }>;
}

export interface ProductOverviewRow {
  productId: string;
  title: string | null;
  reviews: number;
  averageRating: number | null;
  translatedShare: number;
  analysedShare: number;
  painPoints: number;
  cost: number;
}

export interface ReportData {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  kind: 'product' | 'all';
  generatedAt: string;
  since: string | null;
  product: { id: string; title: string | null; learnStatus: string } | null;
  /** false until the product has labels or insights; the renderers then say so instead of empty sections */
  hasAnalysis: boolean;
  notices: string[];
  overview: Overview | null;
  dimensions: DimensionRow[];
  painPoints: Ranking;
  featureRequests: Ranking;
  fiveW: FiveWRow[];
  cost: Cost;
  comparison: Comparison | null;
  products: ProductOverviewRow[] | null;
}

export interface ReportQuery {
  productId?: string;
  all?: boolean;
  /** YYYY-MM-DD: only reviews dated on or after it */
  since?: string;
  /** end of the --since period (default: today, UTC); tests pin it */
  until?: string;
  /** rows per ranking (default 10) */
  top?: number;
}
