import { createReadStream, statSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import iconv from 'iconv-lite';
import { VocError, errorMessage } from '../errors.js';

/**
 * Turns a path (or `-` for stdin) into a stream of decoded text: counts raw bytes for the progress bar, gunzips
 * when the magic bytes say gzip, detects the encoding (BOM, UTF-8, GBK) or refuses with a reason, and folds CRLF
 * into LF so every reader counts lines the same way. Nothing here holds more than one chunk plus a 64 KB head.
 */
export interface OpenedSource {
  /** how messages name the source: the path as given, or `stdin` */
  name: string;
  text: AsyncIterable<string>;
  /** the first decoded text (also yielded by `text`), for format and delimiter sniffing */
  head: string;
  encoding: string;
  gzip: boolean;
  totalBytes: number | null;
  bytesRead(): number;
}

const HEAD_BYTES = 64 * 1024;

export const unreadable = (name: string, reason: string, hint?: string) =>
  new VocError('INGEST_UNREADABLE', `${name}: ${reason}`, { hint, exitCode: 1 });

async function* prepend<T>(first: T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

/** Read from `it` until `enough(head)` or the end; returns the chunks read and an iterator over everything. */
async function peek<T>(it: AsyncIterator<T>, enough: (chunks: T[]) => boolean): Promise<{ chunks: T[]; all: AsyncGenerator<T> }> {
  const chunks: T[] = [];
  while (!enough(chunks)) {
    const r = await it.next();
    if (r.done) break;
    chunks.push(r.value);
  }
  return { chunks, all: prepend(chunks, it) };
}

const byteLen = (bs: Buffer[]) => bs.reduce((n, b) => n + b.length, 0);

function validUtf8Prefix(buf: Buffer, atEnd: boolean): boolean {
  // a multi-byte character may be cut at the end of the sample: drop up to 3 trailing bytes before judging
  for (let cut = 0; cut <= (atEnd ? 0 : 3); cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, buf.length - cut));
      return true;
    } catch {
      /* try a shorter prefix */
    }
  }
  return false;
}

/** Pick the encoding from the first bytes, or explain why the file cannot be read. */
export function detectEncoding(name: string, head: Buffer, atEnd: boolean): string {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  const nul = head.indexOf(0);
  if (nul >= 0) {
    let even = 0,
      odd = 0;
    for (let i = 0; i < Math.min(head.length, 4096); i++)
      if (head[i] === 0) {
        if (i % 2) odd++;
        else even++;
      }
    const n = Math.min(head.length, 4096) / 2;
    // UTF-16 text of mostly ASCII has NULs in one byte position of every pair and almost none in the other
    if ((odd > n * 0.4 && even < n * 0.05) || (even > n * 0.4 && odd < n * 0.05)) {
      throw unreadable(name, 'looks like UTF-16 without a byte-order mark', 'pass --encoding utf16le (or utf16be)');
    }
    throw unreadable(name, `binary data (a NUL byte at offset ${nul}), not CSV, JSON or NDJSON text`);
  }
  if (validUtf8Prefix(head, atEnd)) return 'utf8';
  const gbk = iconv.decode(head.subarray(0, Math.max(0, head.length - (atEnd ? 0 : 1))), 'gbk');
  if (!gbk.includes('\ufffd') && /\p{Script=Han}/u.test(gbk)) return 'gbk';
  throw unreadable(
    name,
    'not UTF-8 text and not a recognised encoding (GBK, UTF-16 with BOM)',
    'pass --encoding NAME (e.g. gbk, latin1, shift_jis)',
  );
}

async function* countBytes(src: AsyncIterable<Buffer | string>, counter: { n: number }): AsyncGenerator<Buffer> {
  for await (const chunk of src) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counter.n += b.length;
    yield b;
  }
}

async function* decode(bytes: AsyncIterable<Buffer>, encoding: string): AsyncGenerator<string> {
  if (encoding === 'utf8' || encoding === 'utf-8') {
    const dec = new TextDecoder('utf-8'); // strips a BOM by default
    for await (const b of bytes) yield dec.decode(b, { stream: true });
    yield dec.decode();
  } else {
    const dec = iconv.getDecoder(encoding); // strips a BOM by default
    for await (const b of bytes) yield dec.write(b);
    yield dec.end() ?? '';
  }
}

/** CRLF -> LF, keeping a trailing CR until the next chunk says whether an LF follows. */
async function* foldCrlf(text: AsyncIterable<string>): AsyncGenerator<string> {
  let pendingCr = false;
  for await (let s of text) {
    if (s === '') continue;
    if (pendingCr) s = '\r' + s;
    pendingCr = s.endsWith('\r');
    if (pendingCr) s = s.slice(0, -1);
    yield s.includes('\r\n') ? s.replace(/\r\n/g, '\n') : s;
  }
  if (pendingCr) yield '\r';
}

export async function openSource(source: string, opts: { encoding?: string; stdin?: NodeJS.ReadableStream } = {}): Promise<OpenedSource> {
  const name = source === '-' ? 'stdin' : source;
  let totalBytes: number | null = null;
  let raw: AsyncIterable<Buffer | string>;
  if (source === '-') {
    raw = (opts.stdin ?? process.stdin) as AsyncIterable<Buffer>;
  } else {
    try {
      const st = statSync(source);
      if (st.isDirectory()) throw unreadable(name, 'is a directory');
      totalBytes = st.size;
    } catch (err) {
      if (err instanceof VocError) throw err;
      throw unreadable(name, `cannot open: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    }
    raw = createReadStream(source, { highWaterMark: 256 * 1024 });
  }
  if (opts.encoding && !iconv.encodingExists(opts.encoding))
    throw unreadable(name, `unknown encoding "${opts.encoding}"`, 'e.g. utf8, gbk, utf16le, utf16be, latin1');
  const counter = { n: 0 };
  const first = await peek(countBytes(raw, counter)[Symbol.asyncIterator](), (c) => byteLen(c) >= 2);
  let bytes: AsyncIterable<Buffer> = first.all;
  const magic = Buffer.concat(first.chunks);
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  // pipeline, not pipe: a read error must reach the reader instead of leaving gunzip waiting forever
  if (gzip) bytes = pipeline(Readable.from(first.all), createGunzip(), () => {});
  const peeked = await peek(bytes[Symbol.asyncIterator](), (c) => byteLen(c) >= HEAD_BYTES);
  const headBytes = Buffer.concat(peeked.chunks);
  const atEnd = byteLen(peeked.chunks) < HEAD_BYTES;
  if (headBytes.length === 0) throw unreadable(name, 'is empty');
  const encoding = opts.encoding
    ? iconv.encodingExists(opts.encoding) && /^utf-?8$/i.test(opts.encoding)
      ? 'utf8'
      : opts.encoding
    : detectEncoding(name, headBytes, atEnd);
  const textIt = foldCrlf(decode(peeked.all, encoding))[Symbol.asyncIterator]();
  const t = await peek(textIt, (c) => c.join('').includes('\n') || c.join('').length >= HEAD_BYTES);
  const head = t.chunks.join('');
  if (head.trim() === '' && atEnd) throw unreadable(name, 'is empty');
  return { name, text: t.all, head, encoding, gzip, totalBytes, bytesRead: () => counter.n };
}
