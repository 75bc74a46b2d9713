/**
 * Review dates as YYYY-MM-DD, the one form the store keeps: reports group by its first seven characters and compare
 * --since / --until as text. Used by ingest's validation and by the migration that rewrote earlier stores.
 */

/** Month names and abbreviations by their first three letters (English, as US and UK exports write them). */
const MONTH_ABBR = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const month = (name: string) => MONTH_ABBR.indexOf(name.slice(0, 3).toLowerCase()) + 1;
const MONTH =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const YMD = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日.]?(?:$|[T\s])/;
/** 2024年3月15日 anywhere: Amazon.co.jp writes 2024年3月15日に日本でレビュー済み */
const KANJI_YMD = /(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日/;
const DMY_DOT = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:$|\s)/;
const NUMERIC_YEAR_LAST = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?:$|[T\s,])/;
const DAY_MONTH_YEAR = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\.?\\s+${MONTH}\\.?,?\\s+(\\d{4})\\b`, 'i');
const MONTH_DAY_YEAR = new RegExp(`\\b${MONTH}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`, 'i');

/** YYYY-MM-DD of a real calendar day (1970-2100), or null. */
function isoDay(y: number, m: number, d: number): string | null {
  if (y < 1970 || y > 2100 || m < 1 || m > 12 || d < 1) return null;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d > days) return null;
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * A review date as YYYY-MM-DD, which reports group by month and --since / --until compare as text. Read: ISO dates
 * and timestamps, Unix seconds (Fine Foods `Time`) or milliseconds, 2024/03/15, 2024年3月15日, 15.03.2024, "March
 * 20, 2024" and "20 March 2024" (also inside "Reviewed in the United States on March 20, 2024"), and numeric dates
 * with the year last: day first when the first number is over 12, else month first (US exports; 03/04/2024 is
 * March 4). `undefined` for text that is none of these: the review is kept without a date and the row is named.
 */
export function parseDate(s: string | null, isUnixColumn: boolean): string | null | undefined {
  if (s === null) return null;
  if (/^\d{9,11}$/.test(s) || (isUnixColumn && /^\d{1,11}$/.test(s)) || /^\d{12,13}$/.test(s)) {
    const n = Number(s);
    const d = new Date(s.length >= 12 ? n : n * 1000);
    const y = d.getUTCFullYear(); // NaN for an invalid date; the same 1970-2100 range as the other forms
    return y >= 1970 && y <= 2100 ? d.toISOString().slice(0, 10) : undefined;
  }
  let m = YMD.exec(s) ?? KANJI_YMD.exec(s);
  if (m) return isoDay(+m[1], +m[2], +m[3]) ?? undefined;
  m = DMY_DOT.exec(s);
  if (m) return isoDay(+m[3], +m[2], +m[1]) ?? undefined;
  m = NUMERIC_YEAR_LAST.exec(s);
  if (m) return (+m[1] > 12 ? isoDay(+m[3], +m[2], +m[1]) : isoDay(+m[3], +m[1], +m[2])) ?? undefined;
  m = MONTH_DAY_YEAR.exec(s);
  if (m) return isoDay(+m[3], month(m[1]), +m[2]) ?? undefined;
  m = DAY_MONTH_YEAR.exec(s);
  if (m) return isoDay(+m[3], month(m[2]), +m[1]) ?? undefined;
  return undefined;
}
