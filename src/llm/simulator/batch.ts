import type http from 'node:http';
import type { ChatMessage } from '../types.js';
import { answerFor, guessTask } from './answers.js';

/**
 * The simulator's OpenAI-compatible Batch API (DashScope serves the same shapes under /compatible-mode/v1):
 * `POST /v1/files` (multipart, purpose=batch), `GET /v1/files/{id}`, `GET /v1/files/{id}/content`,
 * `DELETE /v1/files/{id}`, `GET /v1/files`, `POST /v1/batches`, `GET /v1/batches`, `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`.
 * A batch is validated at creation (a bad line fails the batch, as the providers do), progresses linearly over
 * `completionMs`, and then writes its output file (lines shuffled: providers do not keep the input order) and an
 * error file. Faults on demand: failed lines, bodies that are not the JSON asked for, expiry with part of the work
 * done, rogue output lines (an unknown custom_id, a repeated one carrying another line's answer), rejected uploads.
 */
export interface BatchSimOptions {
  /** time from creation to completion, in ms */
  completionMs?: number;
  /** share of lines answered with an error (in the error file) */
  failRate?: number;
  /** share of lines whose answer is not the JSON asked for */
  malformedRate?: number;
  /** batches expire at completionMs with only this share of their lines done (null: they complete) */
  expireAfterShare?: number | null;
  /** add an output line with an unknown custom_id and repeat a custom_id with another line's answer */
  rogueLines?: boolean;
  /** answer every upload with HTTP 400 */
  rejectUploads?: boolean;
  /** provider limits per input file */
  maxLines?: number;
  maxBytes?: number;
}

export interface BatchSimStats {
  uploads: number;
  batches: number;
  cancels: number;
  lines: number;
  failedLines: number;
  malformedLines: number;
  byTask: Record<string, number>;
}

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: number;
  createdAt: number;
  content: string;
}

interface Line {
  customId: string;
  body: { model?: string; messages?: ChatMessage[]; response_format?: { type?: string } };
  fail: boolean;
  malformed: boolean;
}

interface SimBatch {
  id: string;
  inputFileId: string;
  endpoint: string;
  window: string;
  metadata: Record<string, string> | null;
  createdMs: number;
  lines: Line[];
  /** lines done when cancelled (frozen), null while running */
  frozenDone: number | null;
  cancelledMs: number | null;
  errors: Array<{ code: string; message: string; line?: number }>;
  outputFileId: string | null;
  errorFileId: string | null;
}

export const emptyBatchStats = (): BatchSimStats => ({
  uploads: 0,
  batches: 0,
  cancels: 0,
  lines: 0,
  failedLines: 0,
  malformedLines: 0,
  byTask: {},
});

type Send = (res: http.ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;
const apiError = (message: string, code: string) => ({ error: { message, type: 'invalid_request_error', code } });
const approxTokens = (text: string) => Math.max(1, Math.ceil(text.length / 3));

export function createBatchApi(o: BatchSimOptions, rand: () => number, send: Send) {
  const completionMs = o.completionMs ?? 2000;
  const maxLines = o.maxLines ?? 50_000;
  const maxBytes = o.maxBytes ?? 100 * 1024 * 1024;
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, SimBatch>();
  let stats = emptyBatchStats();
  let seq = 0;
  const nextId = (prefix: string) => `${prefix}-sim-${Date.now().toString(36)}${(++seq).toString(36)}`;

  const fileObject = (f: StoredFile) => ({
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: Math.floor(f.createdAt / 1000),
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
  });

  const addFile = (filename: string, purpose: string, content: string): StoredFile => {
    const f = { id: nextId('file'), filename, purpose, bytes: Buffer.byteLength(content), createdAt: Date.now(), content };
    files.set(f.id, f);
    return f;
  };

  /** Parse and check the input file: any bad line fails the whole batch, like the providers' validation step. */
  function parseInput(content: string, errors: SimBatch['errors']): Line[] {
    const lines: Line[] = [];
    const seen = new Set<string>();
    content.split('\n').forEach((raw, i) => {
      if (!raw.trim()) return;
      let v: { custom_id?: unknown; method?: unknown; url?: unknown; body?: Line['body'] };
      try {
        v = JSON.parse(raw);
      } catch {
        errors.push({ code: 'invalid_json_line', message: 'line is not JSON', line: i + 1 });
        return;
      }
      if (typeof v.custom_id !== 'string' || !v.custom_id)
        errors.push({ code: 'missing_custom_id', message: 'custom_id is required', line: i + 1 });
      else if (seen.has(v.custom_id))
        errors.push({ code: 'duplicate_custom_id', message: `custom_id ${v.custom_id} is repeated`, line: i + 1 });
      else if (v.method !== 'POST' || v.url !== '/v1/chat/completions' || !Array.isArray(v.body?.messages)) {
        errors.push({
          code: 'invalid_request',
          message: 'method must be POST, url /v1/chat/completions, body.messages a list',
          line: i + 1,
        });
      } else {
        seen.add(v.custom_id);
        lines.push({ customId: v.custom_id, body: v.body!, fail: false, malformed: false });
      }
    });
    if (!lines.length && !errors.length) errors.push({ code: 'empty_file', message: 'the input file has no requests' });
    return lines;
  }

  const doneNow = (b: SimBatch, now: number): number => {
    if (b.frozenDone !== null) return b.frozenDone;
    const share = completionMs <= 0 ? 1 : Math.min(1, (now - b.createdMs) / completionMs);
    const cap = o.expireAfterShare != null ? o.expireAfterShare : 1;
    return Math.floor(b.lines.length * Math.min(share, cap));
  };

  const statusOf = (b: SimBatch, now: number): string => {
    if (b.errors.length) return 'failed';
    if (b.cancelledMs !== null) return now - b.cancelledMs < 50 ? 'cancelling' : 'cancelled';
    if (now - b.createdMs >= completionMs) return o.expireAfterShare != null ? 'expired' : 'completed';
    return now - b.createdMs < Math.min(100, completionMs / 10) ? 'validating' : 'in_progress';
  };

  /** Output and error files of a finished batch, written once. */
  function finish(b: SimBatch, status: string): void {
    if (b.outputFileId !== null || b.errorFileId !== null || b.errors.length) return;
    const done = doneNow(b, Date.now());
    const out: string[] = [];
    const err: string[] = [];
    b.lines.forEach((line, i) => {
      const id = `batch_req_${b.id}_${i}`;
      if (i >= done) {
        // not run: expired lines are reported in the error file; cancelled ones are simply absent
        if (status === 'expired')
          err.push(
            JSON.stringify({
              id,
              custom_id: line.customId,
              response: null,
              error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
            }),
          );
        return;
      }
      if (line.fail) {
        err.push(
          JSON.stringify({
            id,
            custom_id: line.customId,
            response: {
              status_code: 500,
              request_id: id,
              body: { error: { message: 'Internal server error (simulated)', type: 'internal_error', code: 'InternalError' } },
            },
            error: null,
          }),
        );
        return;
      }
      out.push(
        JSON.stringify({
          id,
          custom_id: line.customId,
          response: { status_code: 200, request_id: id, body: completion(line, id) },
          error: null,
        }),
      );
    });
    if (o.rogueLines && out.length >= 2) {
      out.push(
        JSON.stringify({
          id: 'batch_req_rogue',
          custom_id: `${b.lines[0].customId}-unknown`,
          response: { status_code: 200, body: completion(b.lines[0], 'rogue') },
          error: null,
        }),
      );
      // the first line's custom_id again, carrying the answer of another line
      const other = b.lines[Math.min(done, b.lines.length) - 1];
      out.push(
        JSON.stringify({
          id: 'batch_req_repeat',
          custom_id: b.lines[0].customId,
          response: { status_code: 200, body: completion(other, 'repeat') },
          error: null,
        }),
      );
    }
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    if (out.length) b.outputFileId = addFile(`${b.id}_output.jsonl`, 'batch_output', out.join('\n') + '\n').id;
    if (err.length) b.errorFileId = addFile(`${b.id}_error.jsonl`, 'batch_output', err.join('\n') + '\n').id;
  }

  function completion(line: Line, id: string) {
    const messages = line.body.messages ?? [];
    const json = line.body.response_format?.type === 'json_object';
    const task = json ? guessTask(messages) : 'translate_single';
    let { content } = answerFor(task, messages);
    if (line.malformed) content = `Sure! Here is the answer: ${content.slice(0, Math.max(1, Math.floor(content.length / 2)))}`;
    const prompt = approxTokens(messages.map((m) => String(m?.content ?? '')).join('\n'));
    const completionTokens = approxTokens(content);
    return {
      id: `chatcmpl-${id}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: `${line.body.model ?? 'qwen-flash'}-simulated`,
      system_fingerprint: 'voc-simulator',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens },
    };
  }

  function batchObject(b: SimBatch) {
    const now = Date.now();
    const status = statusOf(b, now);
    if (['completed', 'expired', 'cancelled'].includes(status)) finish(b, status);
    const done = b.errors.length ? 0 : doneNow(b, now);
    const failed = b.lines.slice(0, done).filter((l) => l.fail).length;
    const s = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));
    return {
      id: b.id,
      object: 'batch',
      endpoint: b.endpoint,
      errors: b.errors.length ? { object: 'list', data: b.errors.slice(0, 20) } : null,
      input_file_id: b.inputFileId,
      completion_window: b.window,
      status,
      output_file_id: b.outputFileId,
      error_file_id: b.errorFileId,
      created_at: s(b.createdMs),
      in_progress_at: s(b.createdMs),
      expires_at: s(b.createdMs + 24 * 3600_000),
      completed_at: status === 'completed' ? s(b.createdMs + completionMs) : null,
      expired_at: status === 'expired' ? s(b.createdMs + completionMs) : null,
      failed_at: status === 'failed' ? s(b.createdMs) : null,
      cancelling_at: s(b.cancelledMs),
      cancelled_at: status === 'cancelled' ? s(b.cancelledMs) : null,
      request_counts: { total: b.lines.length, completed: done - failed, failed },
      metadata: b.metadata,
    };
  }

  async function upload(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
    if (o.rejectUploads) return send(res, 400, apiError('The file was rejected (simulated).', 'invalid_file'));
    let form: FormData;
    try {
      form = await new Response(body, { headers: { 'content-type': String(req.headers['content-type'] ?? '') } }).formData();
    } catch {
      return send(res, 400, apiError('expected multipart/form-data with file and purpose', 'invalid_body'));
    }
    const file = form.get('file');
    const purpose = String(form.get('purpose') ?? '');
    if (!file || typeof file === 'string') return send(res, 400, apiError("'file' is required", 'missing_file'));
    if (purpose !== 'batch') return send(res, 400, apiError(`purpose must be batch, got ${JSON.stringify(purpose)}`, 'invalid_purpose'));
    const content = await file.text();
    const lines = content.split('\n').filter((l) => l.trim()).length;
    if (Buffer.byteLength(content) > maxBytes) return send(res, 400, apiError(`file is larger than ${maxBytes} bytes`, 'file_too_large'));
    if (lines > maxLines) return send(res, 400, apiError(`file has ${lines} requests, more than ${maxLines}`, 'too_many_requests_in_file'));
    stats.uploads++;
    send(res, 200, fileObject(addFile(file.name || 'input.jsonl', purpose, content)));
  }

  function create(body: Buffer, res: http.ServerResponse): void {
    let p: { input_file_id?: string; endpoint?: string; completion_window?: string; metadata?: Record<string, string> };
    try {
      p = JSON.parse(body.toString('utf8'));
    } catch {
      return send(res, 400, apiError('request body is not JSON', 'invalid_body'));
    }
    const input = p.input_file_id ? files.get(p.input_file_id) : undefined;
    if (!input) return send(res, 404, apiError(`no file ${p.input_file_id}`, 'file_not_found'));
    if (p.endpoint !== '/v1/chat/completions') return send(res, 400, apiError('endpoint must be /v1/chat/completions', 'invalid_endpoint'));
    const errors: SimBatch['errors'] = [];
    const lines = parseInput(input.content, errors);
    for (const l of lines) {
      const task = l.body.response_format?.type === 'json_object' ? guessTask(l.body.messages ?? []) : 'translate_single';
      l.fail = rand() < (o.failRate ?? 0);
      // as in realtime: a plain-text answer has no form to break (see index.ts)
      l.malformed = !l.fail && task !== 'translate_single' && rand() < (o.malformedRate ?? 0);
      stats.byTask[task] = (stats.byTask[task] ?? 0) + 1;
      stats.failedLines += l.fail ? 1 : 0;
      stats.malformedLines += l.malformed ? 1 : 0;
    }
    stats.batches++;
    stats.lines += lines.length;
    const b: SimBatch = {
      id: nextId('batch'),
      inputFileId: input.id,
      endpoint: p.endpoint,
      window: p.completion_window ?? '24h',
      metadata: p.metadata ?? null,
      createdMs: Date.now(),
      lines: errors.length ? [] : lines,
      frozenDone: null,
      cancelledMs: null,
      errors,
      outputFileId: null,
      errorFileId: null,
    };
    batches.set(b.id, b);
    send(res, 200, batchObject(b));
  }

  /** newest first, one page (the sim keeps few) */
  const list = <T extends { id: string }>(items: T[]) => {
    const data = items.reverse();
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false };
  };

  /** Routes under /v1 (prefix already stripped); false when the route is not the Batch API's. */
  function handle(req: http.IncomingMessage, url: string, body: Buffer, res: http.ServerResponse): boolean {
    const m = /^\/v1\/(files|batches)(?:\/([^/]+))?(?:\/(content|cancel))?$/.exec(url);
    if (!m) return false;
    const [, kind, id, action] = m;
    const method = req.method ?? 'GET';
    if (kind === 'files') {
      if (!id && method === 'POST') return (void upload(req, body, res), true);
      if (!id && method === 'GET') return (send(res, 200, list([...files.values()].map(fileObject))), true);
      const f = id ? files.get(id) : undefined;
      if (!f) return (send(res, 404, apiError(`no file ${id}`, 'file_not_found')), true);
      if (method === 'DELETE' && !action) {
        files.delete(f.id);
        return (send(res, 200, { id: f.id, object: 'file', deleted: true }), true);
      }
      if (method === 'GET' && action === 'content') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return (res.end(f.content), true);
      }
      if (method === 'GET' && !action) return (send(res, 200, fileObject(f)), true);
      return (send(res, 405, apiError(`${method} not allowed here`, 'method_not_allowed')), true);
    }
    if (!id && method === 'POST') return (create(body, res), true);
    if (!id && method === 'GET') return (send(res, 200, list([...batches.values()].map(batchObject))), true);
    const b = id ? batches.get(id) : undefined;
    if (!b) return (send(res, 404, apiError(`no batch ${id}`, 'batch_not_found')), true);
    if (method === 'GET' && !action) return (send(res, 200, batchObject(b)), true);
    if (method === 'POST' && action === 'cancel') {
      const status = statusOf(b, Date.now());
      if (['validating', 'in_progress'].includes(status)) {
        b.frozenDone = doneNow(b, Date.now());
        b.cancelledMs = Date.now();
        stats.cancels++;
      }
      return (send(res, 200, batchObject(b)), true);
    }
    return (send(res, 405, apiError(`${method} not allowed here`, 'method_not_allowed')), true);
  }

  return {
    handle,
    stats: (): BatchSimStats => ({ ...stats, byTask: { ...stats.byTask } }),
    reset: () => {
      stats = emptyBatchStats();
    },
  };
}
