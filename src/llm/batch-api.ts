import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import OpenAI from 'openai';
import { chatBody } from './chat-body.js';
import type { BatchAnswer, BatchApi, LlmRequest, RemoteBatch } from './types.js';
import { errorMessage } from '../errors.js';

/**
 * The OpenAI-compatible Batch API through the openai SDK (DashScope serves it under /compatible-mode/v1):
 * files.create (purpose batch), batches.create (endpoint /v1/chat/completions, window 24h), batches.retrieve,
 * batches.cancel, files.content. The key never reaches an error message: `scrub` removes it. Files go from disk and
 * to disk, so a full 100 MB file costs no memory: the upload is the one request not made through the SDK, because
 * fetch reads a request body as fast as the disk gives it, whatever the socket takes (a 150 MB upload grew the
 * process by 175 MB); node:http streams it with backpressure and a Content-Length.
 */
export interface BatchApiOptions {
  apiKey: string;
  baseURL: string;
  timeoutMs: number;
  model: string;
  simulated: boolean;
  scrub: (text: string) => string;
}

const ENDPOINT = '/v1/chat/completions';
/** entries of the provider's lists (newest first) searched for an earlier upload or batch of ours */
const RECOVER_ITEMS = 2000;

export function createBatchApi(o: BatchApiOptions): BatchApi {
  const client = new OpenAI({ apiKey: o.apiKey, baseURL: o.baseURL, timeout: o.timeoutMs, maxRetries: 3 });
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const status = (err as { status?: number }).status;
      const message = o.scrub(errorMessage(err));
      throw Object.assign(new Error(`Batch API ${what}: ${message}`, { cause: err }), { status });
    }
  };

  const toRemote = (b: OpenAI.Batches.Batch): RemoteBatch => ({
    id: b.id,
    status: b.status,
    total: b.request_counts?.total ?? 0,
    completed: b.request_counts?.completed ?? 0,
    failed: b.request_counts?.failed ?? 0,
    outputFileId: b.output_file_id ?? null,
    errorFileId: b.error_file_id ?? null,
    errors: (b.errors?.data ?? []).map((e) => `${e.line != null ? `line ${e.line}: ` : ''}${e.code ?? 'error'}: ${e.message ?? ''}`.trim()),
  });

  async function findFile(filename: string): Promise<string | null> {
    let seen = 0;
    for await (const f of client.files.list({ purpose: 'batch' })) {
      if (f.filename === filename) return f.id;
      if (++seen >= RECOVER_ITEMS) break;
    }
    return null;
  }

  async function findBatch(tag: string): Promise<OpenAI.Batches.Batch | null> {
    let seen = 0;
    for await (const b of client.batches.list({ limit: 100 })) {
      if (b.metadata?.voc_batch === tag) return b;
      if (++seen >= RECOVER_ITEMS) break;
    }
    return null;
  }

  return {
    simulated: o.simulated,
    line(customId: string, req: LlmRequest): string {
      return JSON.stringify({ custom_id: customId, method: 'POST', url: ENDPOINT, body: chatBody(req, o.model) });
    },
    upload: (filename, content, opts = {}) =>
      wrap('upload', async () => {
        if (opts.recover) {
          const found = await findFile(filename);
          if (found) return found;
        }
        return postFile(o, filename, typeof content === 'string' ? new Blob([content]) : content);
      }),
    create: (fileId, tag, opts = {}) =>
      wrap('create', async () => {
        if (opts.recover) {
          const found = await findBatch(tag);
          if (found) return toRemote(found);
        }
        return toRemote(
          await client.batches.create({
            input_file_id: fileId,
            endpoint: ENDPOINT,
            completion_window: '24h',
            metadata: { voc_batch: tag },
          }),
        );
      }),
    find: (tag) =>
      wrap('list', async () => {
        const found = await findBatch(tag);
        return found ? toRemote(found) : null;
      }),
    retrieve: (id) => wrap('retrieve', async () => toRemote(await client.batches.retrieve(id))),
    cancel: (id) => wrap('cancel', async () => toRemote(await client.batches.cancel(id))),
    download: (fileId, dest) =>
      wrap('download', async () => {
        const res = await client.files.content(fileId);
        if (!res.body) throw new Error(`file ${fileId} has no content`);
        await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream), createWriteStream(dest, { mode: 0o600 }));
      }),
  };
}

/**
 * POST {baseURL}/files as multipart/form-data (purpose=batch, file), the file streamed from its Blob (a file-backed
 * one from fs.openAsBlob reads the disk as the socket drains). An error answer carries its HTTP status, as the
 * SDK's errors do, so a refused file (4xx) is told from a network or server trouble.
 */
async function postFile(o: BatchApiOptions, filename: string, blob: Blob): Promise<string> {
  const url = new URL(`${o.baseURL.replace(/\/+$/, '')}/files`);
  const boundary = `voc-${randomUUID()}`;
  const safe = filename.replace(/["\\\r\n]/g, '_');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safe}"\r\nContent-Type: application/jsonl\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const lib = url.protocol === 'https:' ? https : http;
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${o.apiKey}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': head.length + blob.size + tail.length,
          accept: 'application/json',
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    pipeline(Readable.from(multipart(head, blob, tail)), req).catch(reject);
  });
  let json: { id?: string; error?: { message?: string } } | null = null;
  try {
    json = JSON.parse(body);
  } catch {
    // not JSON: the status says enough
  }
  if (status >= 400) throw Object.assign(new Error(`${status} ${json?.error?.message ?? body.slice(0, 200)}`.trim()), { status });
  // an answer without a file id is trouble to try again, not a refusal
  if (!json?.id) throw new Error(`the provider answered ${status} without a file id`);
  return json.id;
}

async function* multipart(head: Buffer, blob: Blob, tail: Buffer): AsyncGenerator<Uint8Array> {
  yield head;
  yield* Readable.fromWeb(blob.stream() as unknown as WebReadableStream<Uint8Array>);
  yield tail;
}

/** The lines of a downloaded output or error file, one at a time: an answer, or why the line is not one. */
export async function* readAnswers(path: string, simulated: boolean): AsyncGenerator<{ answer: BatchAnswer } | { bad: string }> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let i = 0;
  for await (const raw of lines) {
    i++;
    if (!raw.trim()) continue;
    yield parseAnswerLine(raw, i, simulated);
  }
}

/** One output or error line: {custom_id, response: {status_code, body}, error}. Anything else is reported, not guessed. */
export function parseAnswerLine(raw: string, lineNo: number, simulated: boolean): { answer: BatchAnswer } | { bad: string } {
  let v: {
    custom_id?: unknown;
    response?: { status_code?: number; body?: OpenAI.Chat.ChatCompletion & { error?: { message?: string } } } | null;
    error?: { code?: string; message?: string } | null;
  };
  try {
    v = JSON.parse(raw);
  } catch {
    return { bad: `line ${lineNo} is not JSON` };
  }
  if (!v || typeof v !== 'object' || typeof v.custom_id !== 'string') return { bad: `line ${lineNo} has no custom_id` };
  const customId = v.custom_id;
  const res = v.response;
  if (v.error || !res || res.status_code !== 200) {
    const why = v.error?.message ?? v.error?.code ?? res?.body?.error?.message ?? `HTTP ${res?.status_code ?? 'none'}`;
    return { answer: { customId, ok: false, error: String(why).slice(0, 300) } };
  }
  const body = res.body;
  const content = body?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') return { answer: { customId, ok: false, error: 'answer has no message content' } };
  return {
    answer: {
      customId,
      ok: true,
      content,
      model: body?.model ?? '',
      promptTokens: body?.usage?.prompt_tokens ?? 0,
      completionTokens: body?.usage?.completion_tokens ?? 0,
      simulated: simulated || body?.system_fingerprint === 'voc-simulator',
    },
  };
}
