import { createReadStream, statSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { analyse } from 'chardet';
import iconv from 'iconv-lite';
import { VocError, errorMessage } from '../errors.js';
import { isHan, scriptCounts, type ScriptCounts } from '../language.js';

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
  /** the encoding's name when it was guessed from the text (a legacy East Asian one), for a notice */
  guessedEncoding?: string;
  gzip: boolean;
  totalBytes: number | null;
  bytesRead(): number;
  /** byte sequences the encoding could not read so far (each became U+FFFD in the text) */
  invalidBytes(): number;
}

const HEAD_BYTES = 64 * 1024;

/** The reasons a path cannot be opened that users meet, in words */
const OPEN_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

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

/** Han characters separated by a single space: Korean words read as GBK look so, Chinese text almost never does */
function spacedHan(text: string): number {
  let n = 0;
  for (let i = text.indexOf(' '); i > 0 && i < text.length - 1; i = text.indexOf(' ', i + 1))
    if (isHan(text.charCodeAt(i - 1)) && isHan(text.charCodeAt(i + 1))) n++;
  return n;
}

/** East Asian letters are at least a fifth of all letters (a Latin-1 file read as GBK has a few Han among many) */
const eastAsian = (c: ScriptCounts, n: number) => n >= 0.2 * c.letters;
/** Chinese: Han with a little kana at most (の for 的 now and then), no Hangul, no words spaced like Korean */
const chinese = (c: ScriptCounts, text: string) =>
  eastAsian(c, c.han) && c.kana < 0.15 * (c.han + c.kana) && c.hangul === 0 && spacedHan(text) <= 0.1 * c.han;
/**
 * Japanese: a quarter kana or more (Japanese prose is about half), or no kana at all and kanji in forms only Japanese
 * writes (価格満足). Chinese read as EUC-JP keeps its の and gains random kanji, some Japanese-only: neither.
 */
const japanese = (c: ScriptCounts) =>
  eastAsian(c, c.han + c.kana) && (c.kana >= 0.25 * (c.han + c.kana) || (c.kana === 0 && c.jaKanji > 0)) && c.hangul === 0;
/** Korean: mostly Hangul (modern reviews write few hanja) */
const korean = (c: ScriptCounts) => eastAsian(c, c.hangul) && c.hangul >= 0.8 * (c.han + c.hangul + c.kana);

/** chardet's names of the multi-byte encodings of Chinese, Japanese and Korean text, as iconv-lite names them */
const CJK_ENCODINGS: Record<string, { iconv: string; label: string; plausible(c: ScriptCounts, text: string): boolean }> = {
  GB18030: { iconv: 'gb18030', label: 'GBK/GB18030', plausible: chinese },
  Big5: { iconv: 'big5', label: 'Big5', plausible: chinese },
  Shift_JIS: { iconv: 'shift_jis', label: 'Shift_JIS', plausible: japanese },
  'EUC-JP': { iconv: 'euc-jp', label: 'EUC-JP', plausible: japanese },
  'EUC-KR': { iconv: 'euc-kr', label: 'EUC-KR', plausible: korean },
};

/** A character frequency analysis' confidence (chardet's 0-100) below which a guess is not taken */
const MIN_CONFIDENCE = 50;
/** how far ahead of any other reading that reads as its language the guess must be */
const MARGIN = 10;

/**
 * The encoding of text that is not UTF-8, when it can be told: the East Asian encoding chardet (byte and character
 * frequency analysis) ranks first, with confidence >= 50, that decodes the head without a replacement character,
 * reads as its language would (Korean mostly Hangul, Japanese with kana or Japanese-only kanji, Chinese without
 * spaced words), and has no other such reading within 10 points. A guess is stored for good (the same review
 * ingested again with the right encoding is a conflict), so anything less sure is refused and the user names the
 * encoding: short files are the usual case, a few words decode cleanly in several.
 */
function guessEastAsian(head: Buffer): { encoding: string; label: string } | { candidates: string[] } {
  const readings: Array<{ encoding: string; label: string; confidence: number; plausible: boolean }> = [];
  for (const m of analyse(head)) {
    const cjk = CJK_ENCODINGS[m.name];
    if (!cjk) continue;
    const text = iconv.decode(head, cjk.iconv);
    const plausible = !text.includes('\ufffd') && cjk.plausible(scriptCounts(text), text);
    readings.push({ encoding: cjk.iconv, label: cjk.label, confidence: m.confidence, plausible });
  }
  // chardet ranks by confidence; of readings ranked equal first, the one that reads as its language
  const top = readings.find((r) => r.plausible && r.confidence === readings[0].confidence) ?? readings[0];
  const rival = readings.some((r) => r !== top && r.plausible && r.confidence > (top?.confidence ?? 0) - MARGIN);
  if (top && top.plausible && top.confidence >= MIN_CONFIDENCE && !rival) return { encoding: top.encoding, label: top.label };
  return { candidates: [...new Set(readings.filter((r) => r.plausible && r.confidence > 10).map((r) => r.label))] };
}

export interface DetectedEncoding {
  encoding: string;
  /** how messages name a guessed encoding; absent when the bytes say it (UTF-8, a byte-order mark) */
  guessed?: string;
}

/** Pick the encoding from the first bytes, or explain why the file cannot be read. */
export function detectEncoding(name: string, head: Buffer, atEnd: boolean): DetectedEncoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf8' };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf16le' };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf16be' };
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
  if (validUtf8Prefix(head, atEnd)) return { encoding: 'utf8' };
  // a multi-byte character may be cut at the end of the sample: leave its bytes out
  const guess = guessEastAsian(atEnd ? head : head.subarray(0, lastLineEnd(head)));
  if ('encoding' in guess) return { encoding: guess.encoding, guessed: guess.label };
  const could = guess.candidates.length ? ` (it could be ${guess.candidates.join(' or ')})` : '';
  throw unreadable(
    name,
    `not UTF-8 text, and its encoding cannot be told for sure${could}`,
    'pass --encoding NAME (e.g. gbk, big5, shift_jis, euc-jp, euc-kr, windows-1252)',
  );
}

/** Up to the last line feed of a sample cut mid-file (0x0a is never part of a multi-byte character in these encodings). */
function lastLineEnd(buf: Buffer): number {
  const i = buf.lastIndexOf(0x0a);
  return i > 0 ? i + 1 : buf.length;
}

async function* countBytes(src: AsyncIterable<Buffer | string>, counter: { n: number }): AsyncGenerator<Buffer> {
  for await (const chunk of src) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counter.n += b.length;
    yield b;
  }
}

const REPLACEMENT = '\ufffd';
const REPLACEMENT_UTF8 = Buffer.from(REPLACEMENT);

function count(hay: string | Buffer, needle: string | Buffer): number {
  let n = 0;
  for (let i = hay.indexOf(needle as never); i >= 0; i = hay.indexOf(needle as never, i + 1)) n++;
  return n;
}

/**
 * Bytes to text. Bytes the encoding cannot read become U+FFFD, as every decoder does; `invalid.n` counts them (a
 * U+FFFD the file itself holds, as some exports do, is text, not counted), so the reader can say so once per file.
 */
async function* decode(bytes: AsyncIterable<Buffer>, encoding: string, invalid: { n: number }): AsyncGenerator<string> {
  const utf8 = encoding === 'utf8' || encoding === 'utf-8';
  // each strips a BOM by default
  const dec = utf8 ? null : iconv.getDecoder(encoding);
  const td = utf8 ? new TextDecoder('utf-8') : null;
  const note = (s: string, b: Buffer | null): string => {
    if (s.includes(REPLACEMENT)) invalid.n += Math.max(0, count(s, REPLACEMENT) - (b && utf8 ? count(b, REPLACEMENT_UTF8) : 0));
    return s;
  };
  for await (const b of bytes) yield note(td ? td.decode(b, { stream: true }) : dec!.write(b), b);
  yield note(td ? td.decode() : (dec!.end() ?? ''), null);
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
      const code = (err as NodeJS.ErrnoException).code;
      const why = code ? (OPEN_ERRORS[code] ? `${OPEN_ERRORS[code]} (${code})` : code) : errorMessage(err);
      throw unreadable(name, `cannot open: ${why}`);
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
  const detected: DetectedEncoding = opts.encoding
    ? { encoding: iconv.encodingExists(opts.encoding) && /^utf-?8$/i.test(opts.encoding) ? 'utf8' : opts.encoding }
    : detectEncoding(name, headBytes, atEnd);
  const encoding = detected.encoding;
  const invalid = { n: 0 };
  const textIt = foldCrlf(decode(peeked.all, encoding, invalid))[Symbol.asyncIterator]();
  const t = await peek(textIt, (c) => c.join('').includes('\n') || c.join('').length >= HEAD_BYTES);
  const head = t.chunks.join('');
  if (head.trim() === '' && atEnd) throw unreadable(name, 'is empty');
  return {
    name,
    text: t.all,
    head,
    encoding,
    guessedEncoding: detected.guessed,
    gzip,
    totalBytes,
    bytesRead: () => counter.n,
    invalidBytes: () => invalid.n,
  };
}
