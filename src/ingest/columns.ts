/**
 * Column mapping for the common review exports (Amazon, Kaggle Fine Foods, scraper plugins), case-insensitive.
 * A source column name is compared after lower-casing and dropping everything but letters and digits, so
 * `review_id`, `reviewId`, `Review ID` and `Id` all land on the same field.
 */
export const FIELDS = ['reviewId', 'productId', 'rating', 'title', 'body', 'date', 'author', 'marketplace', 'language'] as const;
export type Field = (typeof FIELDS)[number];

/** Aliases in priority order: the first one present in a file wins. */
const ALIASES: Record<Field, string[]> = {
  reviewId: ['review_id', 'reviewId', 'id'],
  productId: ['product_id', 'asin', 'ProductId'],
  rating: ['rating', 'stars', 'Score', 'star_rating'],
  title: ['title', 'Summary', 'review_title'],
  body: ['body', 'text', 'content', 'review_body'],
  date: ['review_date', 'date', 'Time'],
  author: ['author', 'ProfileName'],
  marketplace: ['marketplace'],
  language: ['language', 'lang'],
};

/** Names a user may write on the left of `--map FIELD=COLUMN`. */
const FIELD_NAMES: Record<string, Field> = {
  reviewid: 'reviewId',
  id: 'reviewId',
  review: 'reviewId',
  productid: 'productId',
  product: 'productId',
  asin: 'productId',
  rating: 'rating',
  stars: 'rating',
  title: 'title',
  body: 'body',
  text: 'body',
  date: 'date',
  reviewdate: 'date',
  author: 'author',
  marketplace: 'marketplace',
  language: 'language',
};

export const normName = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/** Parse `--map body="Customer Review"` entries into { body: 'Customer Review' }; throws on an unknown field. */
export function parseMapping(entries: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`--map expects FIELD=COLUMN, got "${entry}"`);
    const field = FIELD_NAMES[normName(entry.slice(0, eq))];
    if (!field) throw new Error(`--map: unknown field "${entry.slice(0, eq)}" (one of: ${FIELDS.join(', ')})`);
    out[field] = entry
      .slice(eq + 1)
      .trim()
      .replace(/^["']|["']$/g, '');
  }
  return out;
}

/** The `--map FIELD=COLUMN` entries whose column is not among `keys` (matched as columns are: case and spacing aside). */
export function unmatchedMappings(keys: string[], mapping: Record<string, string> = {}): Array<[string, string]> {
  const names = new Set(keys.map(normName));
  return Object.entries(mapping).filter(([, column]) => !names.has(normName(column)));
}

/** Which source key feeds each field, for one set of record keys. */
export type Resolution = Partial<Record<Field, string>>;

export function resolveColumns(keys: string[], mapping: Record<string, string> = {}): Resolution {
  const byNorm = new Map<string, string>();
  for (const k of keys) if (!byNorm.has(normName(k))) byNorm.set(normName(k), k);
  const res: Resolution = {};
  const taken = new Set<string>();
  // explicit mappings first, so an alias can never steal a column the user assigned elsewhere
  for (const [field, column] of Object.entries(mapping)) {
    const f = (FIELD_NAMES[normName(field)] ?? field) as Field;
    const key = byNorm.get(normName(column));
    if (key !== undefined && FIELDS.includes(f)) {
      res[f] = key;
      taken.add(key);
    }
  }
  for (const f of FIELDS) {
    if (res[f] !== undefined || mapping[f] !== undefined) continue;
    for (const alias of ALIASES[f]) {
      const key = byNorm.get(normName(alias));
      if (key !== undefined && !taken.has(key)) {
        res[f] = key;
        taken.add(key);
        break;
      }
    }
  }
  return res;
}

const cache = new Map<string, Resolution>();
let last: { keys: string[]; mapping: Record<string, string> | undefined; res: Resolution } | null = null;

/** The same keys in the same order (a CSV's rows share the header's strings, so this is a pointer compare). */
function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** resolveColumns, memoised by key set: every row of a file has the same keys. */
export function cachedResolution(keys: string[], mapping?: Record<string, string>): Resolution {
  // the row before had these keys: skip building the signature (it was a string join per row)
  if (last && last.mapping === mapping && sameKeys(last.keys, keys)) return last.res;
  const sig = keys.join('\u0000') + '\u0001' + JSON.stringify(mapping ?? {});
  let res = cache.get(sig);
  if (!res) {
    if (cache.size > 200) cache.clear();
    res = resolveColumns(keys, mapping);
    cache.set(sig, res);
  }
  last = { keys, mapping, res };
  return res;
}
