import { z } from 'zod';

export interface OptionDoc {
  path: string;
  default: string;
  description: string;
}

function unwrap(t: z.ZodTypeAny): z.ZodTypeAny {
  let cur = t;
  for (;;) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault) cur = cur._def.innerType;
    else if (cur instanceof z.ZodEffects) cur = cur._def.schema;
    else return cur;
  }
}

/**
 * Every leaf option with its default (from config/default.json) and one-line description (from the schema).
 * Records (lanes, pools, prices) are expanded over the entries the defaults have. The README reference is this.
 */
export function describeOptions(schema: z.ZodTypeAny, defaults: unknown, prefix = '', inherited = ''): OptionDoc[] {
  const t = unwrap(schema);
  const desc = schema.description ?? t.description ?? inherited;
  if (t instanceof z.ZodObject) {
    const out: OptionDoc[] = [];
    for (const [k, child] of Object.entries(t.shape as Record<string, z.ZodTypeAny>)) {
      const d = defaults && typeof defaults === 'object' ? (defaults as Record<string, unknown>)[k] : undefined;
      // a field without a description of its own reads as its object's, narrowed by the field's name
      out.push(...describeOptions(child, d, prefix ? `${prefix}.${k}` : k, desc ? `${desc}: ${k}` : ''));
    }
    return out;
  }
  if (t instanceof z.ZodRecord && defaults && typeof defaults === 'object') {
    const out: OptionDoc[] = [];
    for (const [k, d] of Object.entries(defaults as Record<string, unknown>)) {
      out.push(...describeOptions(t._def.valueType, d, `${prefix}.${k}`, desc));
    }
    return out;
  }
  return [{ path: prefix, default: defaults === undefined ? '(set at start-up)' : JSON.stringify(defaults), description: desc || '' }];
}

/** The README's configuration reference: a Markdown table generated from the schema and the defaults. */
export function configReferenceMarkdown(schema: z.ZodTypeAny, defaults: unknown): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| option | default | meaning |', '|---|---|---|'];
  for (const o of describeOptions(schema, defaults)) lines.push(`| \`${o.path}\` | \`${cell(o.default)}\` | ${cell(o.description)} |`);
  return lines.join('\n');
}

/**
 * Dotted paths of `value` that the schema has no option for (a typo such as `llm.qsp` would otherwise be dropped
 * without a word and the default used). Records (lanes, pools, prices) take any key their key type accepts.
 */
export function unknownOptions(schema: z.ZodTypeAny, value: unknown, prefix = ''): string[] {
  const t = unwrap(schema);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  const at = (k: string) => (prefix ? `${prefix}.${k}` : k);
  if (t instanceof z.ZodObject) {
    const shape = t.shape as Record<string, z.ZodTypeAny>;
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      k in shape ? unknownOptions(shape[k], v, at(k)) : [at(k)],
    );
  }
  if (t instanceof z.ZodRecord) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => unknownOptions(t._def.valueType, v, at(k)));
  }
  return [];
}

/** The known option closest to a mistyped one (edit distance at most a third of its length), for a hint. */
export function closestOption(unknown: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(unknown.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(unknown.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
