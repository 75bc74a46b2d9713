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
      out.push(...describeOptions(child, d, prefix ? `${prefix}.${k}` : k, ''));
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
