import type { ProductMeta } from '../store/reviews.js';
import { normName } from './columns.js';
import { unreadable } from './source.js';
import { StreamBroken, maxRecordChars, type RawItem } from './types.js';
import { errorMessage } from '../errors.js';

/**
 * A JSON array of reviews, or an object with a `reviews` array and product metadata beside it. A small scanner
 * finds where each review starts and ends (tracking strings, escapes, nesting and lines) and JSON.parse reads
 * one review at a time: memory holds one review, never the file, and every review knows its line. A file cut
 * off half way keeps every complete review before the cut.
 */
type State = 'top' | 'obj-key' | 'obj-colon' | 'obj-value' | 'obj-after' | 'arr-value' | 'arr-after' | 'done';
type Target = 'key' | 'meta' | 'element';

const isWs = (c: number) => c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff;

export class JsonScanner {
  line = 1;
  chars = 0;
  private state: State = 'top';
  private topIsArray = false;
  private key = '';
  private meta: Record<string, unknown> = {};
  private productSent = false;
  // the value being captured
  private capturing = false;
  private target: Target = 'element';
  private depth = 0;
  private inString = false;
  private escape = false;
  private scalar = false;
  private parts: string[] = [];
  private partsLen = 0;
  private capLine = 0;
  private out: RawItem[] = [];

  constructor(
    private readonly name: string,
    private readonly limit: number,
  ) {}

  private fail(what: string): never {
    throw new StreamBroken(`JSON breaks at line ${this.line} (character ${this.chars}): ${what}`, this.line);
  }

  private start(target: Target, c: number): void {
    this.capturing = true;
    this.target = target;
    this.capLine = this.line;
    this.parts = [];
    this.partsLen = 0;
    this.inString = c === 34;
    this.escape = false;
    this.depth = c === 123 || c === 91 ? 1 : 0;
    this.scalar = !this.inString && this.depth === 0;
  }

  private finish(textValue: string): void {
    this.capturing = false;
    const raw = this.parts.length ? this.parts.join('') + textValue : textValue;
    this.parts = [];
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      if (this.target !== 'element') this.fail(`invalid value: ${errorMessage(err)}`);
      this.out.push({
        kind: 'reject',
        line: this.capLine,
        field: '(review)',
        reason: `not valid JSON: ${errorMessage(err).slice(0, 120)}`,
      });
      this.state = 'arr-after';
      return;
    }
    if (this.target === 'key') {
      this.key = String(value);
      this.state = 'obj-colon';
    } else if (this.target === 'meta') {
      this.meta[this.key] = value;
      this.state = 'obj-after';
    } else {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        this.out.push({ kind: 'reject', line: this.capLine, field: '(review)', reason: 'not a JSON object', row: value });
      else this.out.push({ kind: 'record', record: value as Record<string, unknown>, line: this.capLine });
      this.state = 'arr-after';
    }
  }

  private closeArray(): void {
    this.state = this.topIsArray ? 'done' : 'obj-after';
  }

  private sendProduct(): void {
    const p = productFromMeta(this.meta);
    if (p && !this.productSent) {
      this.productSent = true;
      this.out.push({ kind: 'product', product: p });
    }
  }

  push(chunk: string): RawItem[] {
    let seg = 0; // where the captured value starts in this chunk
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) this.line++;
      if (this.capturing) {
        if (this.inString) {
          if (this.escape) this.escape = false;
          else if (c === 92) this.escape = true;
          else if (c === 34) {
            this.inString = false;
            if (this.depth === 0) this.finish(chunk.slice(seg, i + 1));
          }
        } else if (this.scalar) {
          if (c === 44 || c === 93 || c === 125 || isWs(c)) {
            this.finish(chunk.slice(seg, i));
            if (c === 10) this.line--; // seen again below
            i--;
          }
        } else if (c === 34) this.inString = true;
        else if (c === 123 || c === 91) this.depth++;
        else if (c === 125 || c === 93) {
          if (--this.depth === 0) this.finish(chunk.slice(seg, i + 1));
        }
        continue;
      }
      if (isWs(c)) continue;
      const ch = chunk[i];
      switch (this.state) {
        case 'top':
          if (ch === '[') {
            this.topIsArray = true;
            this.state = 'arr-value';
          } else if (ch === '{') this.state = 'obj-key';
          else throw unreadable(this.name, `not JSON: starts with ${JSON.stringify(chunk.slice(i, i + 10))}`);
          break;
        case 'obj-key':
          if (ch === '"') {
            this.start('key', c);
            seg = i;
          } else if (ch === '}') this.state = 'done';
          else this.fail(`expected a key, found ${JSON.stringify(ch)}`);
          break;
        case 'obj-colon':
          if (ch !== ':') this.fail(`expected ":", found ${JSON.stringify(ch)}`);
          this.state = 'obj-value';
          break;
        case 'obj-value':
          if (ch === '[' && normName(this.key) === 'reviews') {
            this.sendProduct(); // metadata written before the reviews fills their missing product id
            this.state = 'arr-value';
          } else {
            this.start('meta', c);
            seg = i;
          }
          break;
        case 'obj-after':
          if (ch === ',') this.state = 'obj-key';
          else if (ch === '}') this.state = 'done';
          else this.fail(`expected "," or "}", found ${JSON.stringify(ch)}`);
          break;
        case 'arr-value':
          if (ch === ']') this.closeArray();
          else {
            this.start('element', c);
            seg = i;
          }
          break;
        case 'arr-after':
          if (ch === ',') this.state = 'arr-value';
          else if (ch === ']') this.closeArray();
          else this.fail(`expected "," or "]", found ${JSON.stringify(ch)}`);
          break;
        case 'done':
          this.fail('unexpected data after the end of the JSON');
      }
      if (this.state === 'done') this.sendProduct();
    }
    if (this.capturing) {
      const piece = chunk.slice(seg);
      this.parts.push(piece);
      this.partsLen += piece.length;
      if (this.partsLen > this.limit) this.fail(`a value starting at line ${this.capLine} is longer than ${this.limit} characters`);
    }
    this.chars += chunk.length;
    const out = this.out;
    this.out = [];
    return out;
  }

  end(): RawItem[] {
    if (this.capturing && this.scalar) this.finish('');
    if (this.state === 'top') throw unreadable(this.name, 'is empty');
    if (this.state !== 'done') this.fail('the file is cut off');
    this.sendProduct();
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Items completed before a break: yielded before the error so no good review is lost. */
  drain(): RawItem[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

/** Product metadata beside the reviews: top-level keys or a nested `product` object. */
export function productFromMeta(meta: Record<string, unknown>): ProductMeta | null {
  const nested = Object.entries(meta).find(([k, v]) => normName(k) === 'product' && v && typeof v === 'object' && !Array.isArray(v));
  const src = nested ? (nested[1] as Record<string, unknown>) : meta;
  const pick = (...names: string[]) => Object.entries(src).find(([k]) => names.includes(normName(k)))?.[1];
  const id = pick('productid', 'asin', ...(nested ? ['id'] : []));
  if (typeof id !== 'string' && typeof id !== 'number') return null;
  const title = pick('title', 'producttitle', 'name');
  const bullets = pick('bulletpoints', 'bullets', 'features', 'aboutthisitem');
  return {
    id: String(id),
    title: typeof title === 'string' ? title : null,
    bulletPoints: Array.isArray(bullets) ? bullets.filter((b): b is string => typeof b === 'string') : null,
  };
}

export async function* readJson(text: AsyncIterable<string>, opts: { name: string; maxFieldLength: number }): AsyncGenerator<RawItem> {
  const scanner = new JsonScanner(opts.name, maxRecordChars(opts.maxFieldLength));
  let items: RawItem[];
  for await (const chunk of text) {
    try {
      items = scanner.push(chunk);
    } catch (err) {
      yield* scanner.drain();
      throw err;
    }
    yield* items;
  }
  try {
    items = scanner.end();
  } catch (err) {
    yield* scanner.drain();
    throw err;
  }
  yield* items;
}
