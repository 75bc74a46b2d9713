import { W_KEYS, type InsightItem, type LearnAnswer, type WKey } from '../../domain.js';
import { simTranslation } from '../tasks.js';
import type { ChatMessage, TaskName } from '../types.js';

/**
 * Deterministic answers of the simulator: the same input always gives the same content, derived from the input
 * so a test can tell that every review got its own answer.
 */

const TASKS: TaskName[] = ['translate_single', 'translate_batch', 'learn', 'insights', 'themes'];

export function isTask(v: unknown): v is TaskName {
  return typeof v === 'string' && (TASKS as string[]).includes(v);
}

/** Small stable hash (FNV-1a) for choices that must not change between runs. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function lastUser(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return String(messages[i].content ?? '');
  return '';
}

/** The JSON payload of the user message: the whole message, or the outermost {...} inside it. */
export function payloadOf(messages: ChatMessage[]): Record<string, unknown> | null {
  const text = lastUser(messages).trim();
  const tries = [text];
  const a = text.indexOf('{');
  const b = text.lastIndexOf('}');
  if (a >= 0 && b > a) tries.push(text.slice(a, b + 1));
  for (const t of tries) {
    try {
      const v = JSON.parse(t);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Without an `x-voc-task` header, tell the task from the payload's shape. */
export function guessTask(messages: ChatMessage[]): TaskName {
  const p = payloadOf(messages);
  if (!p) return 'translate_single';
  if (Array.isArray(p.reviews) && 'product' in p) return 'learn';
  if (p.reviews && typeof p.reviews === 'object' && 'labels' in p) return 'themes';
  if (p.reviews && typeof p.reviews === 'object' && 'dimensions' in p) return 'insights';
  if (Object.values(p).every((v) => typeof v === 'string')) return 'translate_batch';
  return 'translate_single';
}

const STOP = new Set(
  'this that with have from they them were been than then there their what when where which while would could should about after again also very just only some more most much many into over your ours mine does dont didnt isnt wasnt really because product item bought these those thing things will well even still'.split(
    ' ',
  ),
);

function words(text: string): string[] {
  return (text.toLowerCase().match(/\p{L}{4,}/gu) ?? []).filter((w) => !STOP.has(w));
}

function topWords(texts: string[], n: number): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of words(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts.entries()]
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, n)
    .map(([w]) => w);
}

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

function learn(p: Record<string, unknown>): LearnAnswer {
  const reviews = Array.isArray(p.reviews) ? (p.reviews as Array<{ text?: unknown }>) : [];
  const texts = reviews.map((r) => String(r?.text ?? ''));
  const top = topWords(texts, 16);
  const pool = top.length ? top : ['quality', 'price', 'delivery'];
  const dims = pool.slice(0, 6).map((w) => ({ name: cap(w), name_zh: `模拟维度-${w}`, description: `Simulated dimension about "${w}"` }));
  const labels = {} as LearnAnswer['labels'];
  W_KEYS.forEach((k, i) => {
    const picks = [pool[(i * 2) % pool.length], pool[(i * 2 + 1) % pool.length]];
    labels[k] = [...new Set(picks)].map((w) => ({ name: `${cap(k)}: ${w}`, name_zh: `模拟${k}-${w}` }));
  });
  return { dimensions: dims, labels };
}

function sentences(text: string): string[] {
  return (text.match(/[^.!?。！？\n]+[.!?。！？]?/gu) ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
}

const NEG = /\b(bad|broke|broken|poor|terrible|awful|worst|disappoint\w*|return\w*|cheap|defect\w*|stopped|hate)\b|差|坏|失望/i;
const POS = /\b(love|great|good|excellent|perfect|amazing|nice|happy|best|recommend\w*)\b|好|喜欢|满意/i;
const WISH = /\b(wish|would like|should|hope|needs?)\b|希望|建议/i;
const CMP = /\b(than|compared|versus|vs)\b|比/i;

function classifySentence(s: string): Pick<InsightItem, 'type' | 'sentiment'> {
  if (WISH.test(s)) return { type: 'feature_request', sentiment: 'neutral' };
  if (NEG.test(s)) return { type: 'pain_point', sentiment: 'negative' };
  if (CMP.test(s)) return { type: 'comparison', sentiment: 'neutral' };
  if (POS.test(s)) return { type: 'praise', sentiment: 'positive' };
  return { type: 'usage_scenario', sentiment: 'neutral' };
}

function insights(p: Record<string, unknown>): Record<string, InsightItem[]> {
  const dims = Array.isArray(p.dimensions) ? (p.dimensions as unknown[]).map(String).filter(Boolean) : [];
  const max = Math.max(1, Math.min(5, Number(p.max) || 5));
  const reviews = (p.reviews && typeof p.reviews === 'object' ? p.reviews : {}) as Record<string, unknown>;
  const out: Record<string, InsightItem[]> = {};
  for (const [key, value] of Object.entries(reviews)) {
    const text = String(value ?? '');
    const parts = sentences(text).filter((s) => s.length <= 2000);
    const quotes = parts.length ? parts : text.trim() ? [text.trim().slice(0, 2000)] : [];
    out[key] = quotes.slice(0, max).map((q) => {
      const lower = q.toLowerCase();
      const dimension = dims.find((d) => lower.includes(d.toLowerCase())) ?? (dims.length ? dims[hash(q) % dims.length] : 'other');
      return { ...classifySentence(q), dimension, quote: q, summary_zh: `模拟摘要：${q.slice(0, 60)}` };
    });
  }
  return out;
}

function themes(p: Record<string, unknown>): Record<string, Record<WKey, string[]>> {
  const labels = (p.labels && typeof p.labels === 'object' ? p.labels : {}) as Record<string, unknown>;
  const reviews = (p.reviews && typeof p.reviews === 'object' ? p.reviews : {}) as Record<string, unknown>;
  const out: Record<string, Record<WKey, string[]>> = {};
  for (const [key, value] of Object.entries(reviews)) {
    const h = hash(`${key}:${String(value ?? '')}`);
    const tags = {} as Record<WKey, string[]>;
    W_KEYS.forEach((k, i) => {
      const given = Array.isArray(labels[k]) ? (labels[k] as unknown[]).map(String).filter(Boolean) : [];
      const picked = given.length ? [given[(h >>> i) % given.length]] : [];
      // about one answer in six brings a tag that is not in the list, as real models do
      if ((h >>> (i + 3)) % 6 === 0) picked.push(`模拟新标签-${k}-${(h >>> i) % 97}`);
      tags[k] = picked;
    });
    out[key] = tags;
  }
  return out;
}

/** Well-formed answer content for a task; `dropKey` removes one key of a keyed (batch) answer. */
export function answerFor(task: TaskName, messages: ChatMessage[]): { content: string; keyed: boolean } {
  const p = payloadOf(messages) ?? {};
  switch (task) {
    case 'translate_single':
      return { content: simTranslation(lastUser(messages)), keyed: false };
    case 'translate_batch': {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(p)) out[k] = simTranslation(String(v ?? ''));
      return { content: JSON.stringify(out), keyed: true };
    }
    case 'learn':
      return { content: JSON.stringify(learn(p)), keyed: false };
    case 'insights':
      return { content: JSON.stringify(insights(p)), keyed: true };
    case 'themes':
      return { content: JSON.stringify(themes(p)), keyed: true };
  }
}

/** Remove the last key of a keyed JSON answer (the "missing key" fault). */
export function dropOneKey(content: string): string {
  try {
    const obj = JSON.parse(content) as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 0) return content;
    delete obj[keys[keys.length - 1]];
    return JSON.stringify(obj);
  } catch {
    return content;
  }
}
