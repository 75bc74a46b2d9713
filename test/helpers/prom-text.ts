/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: it throws on the first
 * line that breaks a rule, and returns the samples by name.
 *
 * Rules checked: every sample belongs to a family that has a HELP and a TYPE line before its first sample; a
 * family's TYPE is given once; histogram samples are `_bucket` (with `le`), `_sum`, `_count`, buckets are
 * cumulative and end at le="+Inf" equal to `_count`; counter names end in `_total`; metric and label names match
 * the allowed characters; label values are quoted with only \\, \" and \n escaped; values are floats.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s: string, line: string): number {
  // the format takes Go's float syntax, where NaN and Inf are case-insensitive (prom-client writes `Nan`)
  if (/^\+?inf$/i.test(s)) return Infinity;
  if (/^-inf$/i.test(s)) return -Infinity;
  if (/^nan$/i.test(s)) return NaN;
  const n = Number(s);
  if (s === '' || Number.isNaN(n)) throw new Error(`not a float value: ${line}`);
  return n;
}

function parseLabels(s: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    const name = s.slice(i, eq).trim();
    if (eq < 0 || !LABEL.test(name)) throw new Error(`bad label name in: ${line}`);
    if (s[eq + 1] !== '"') throw new Error(`label value not quoted in: ${line}`);
    let j = eq + 2;
    let v = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const e = s[++j];
        if (e === 'n') v += '\n';
        else if (e === '\\' || e === '"') v += e;
        else throw new Error(`bad escape \\${e} in: ${line}`);
      } else v += s[j];
    }
    if (s[j] !== '"') throw new Error(`unterminated label value in: ${line}`);
    if (name in out) throw new Error(`label ${name} twice in: ${line}`);
    out[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (i < s.length) throw new Error(`expected , between labels in: ${line}`);
  }
  return out;
}

export function parsePrometheusText(text: string): { samples: Sample[]; types: Map<string, string> } {
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      if (kind === 'HELP') {
        if (help.has(name)) throw new Error(`second HELP for ${name}`);
        help.set(name, rest);
      } else {
        if (types.has(name)) throw new Error(`second TYPE for ${name}`);
        if (!TYPES.has(rest)) throw new Error(`unknown TYPE ${rest} for ${name}`);
        if (samples.some((s) => familyOf(s.name, types) === name)) throw new Error(`TYPE for ${name} after its samples`);
        if (rest === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} does not end in _total`);
        types.set(name, rest);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, value] = m;
    const family = familyOf(name, types);
    if (!family) throw new Error(`sample ${name} has no TYPE before it`);
    if (!help.has(family)) throw new Error(`sample ${name} has no HELP before it`);
    const labels = labelText ? parseLabels(labelText, line) : {};
    if (types.get(family) === 'histogram' && name.endsWith('_bucket') && !('le' in labels)) throw new Error(`bucket without le: ${line}`);
    samples.push({ name, labels, value: parseValue(value, line) });
  }
  checkHistograms(samples, types);
  return { samples, types };
}

function familyOf(name: string, types: Map<string, string>): string | null {
  if (types.has(name)) return types.get(name) === 'histogram' ? null : name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const t = types.get(base);
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
  }
  return null;
}

function checkHistograms(samples: Sample[], types: Map<string, string>): void {
  for (const [name, t] of types) {
    if (t !== 'histogram') continue;
    const key = (l: Record<string, string>) =>
      JSON.stringify(
        Object.entries(l)
          .filter(([k]) => k !== 'le')
          .sort(),
      );
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${name}_bucket`))
      series.set(key(s.labels), [...(series.get(key(s.labels)) ?? []), s]);
    for (const [k, buckets] of series) {
      for (let i = 1; i < buckets.length; i++)
        if (buckets[i].value < buckets[i - 1].value) throw new Error(`${name} buckets not cumulative`);
      const inf = buckets.find((b) => b.labels.le === '+Inf');
      const count = samples.find((s) => s.name === `${name}_count` && key(s.labels) === k);
      if (!inf || !count || inf.value !== count.value) throw new Error(`${name}: +Inf bucket and _count disagree`);
    }
  }
}

/** Sum of the samples of a name whose labels include `match`. */
export function total(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}
