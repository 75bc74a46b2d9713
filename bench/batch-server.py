#!/usr/bin/env python3
"""An OpenAI-compatible server with the Batch API, independent of voc (Python 3 standard library only).

It exists so voc's Batch API client is tested against something other than voc's own simulator: it reads the
requests the way a provider does (multipart upload, JSONL lines checked at batch creation) and answers from the
prompt contract alone (the keyed JSON {"r1": ...} voc's batch translation prompt asks for, or plain text for a
single review), never from voc's code.

  POST   /v1/files                      multipart/form-data: file, purpose=batch (Content-Length or chunked)
  GET    /v1/files                      list, newest first
  GET    /v1/files/{id}                 file object
  GET    /v1/files/{id}/content         the file's bytes
  DELETE /v1/files/{id}
  POST   /v1/batches                    {input_file_id, endpoint, completion_window, metadata}
  GET    /v1/batches                    list, newest first
  GET    /v1/batches/{id}
  POST   /v1/batches/{id}/cancel
  POST   /v1/chat/completions           realtime
  GET    /stats                         what it served (uploads, batches, lines, faults, realtime requests)
The /compatible-mode/v1 prefix (DashScope's) is served too.

A batch moves from validating to in_progress to completed over --delay seconds (its lines are answered in order,
so a cancel keeps the ones done); output lines come back shuffled. Faults: --malformed-rate of JSON-mode lines
answer with something that is not the JSON asked for, --fail-rate of lines land in the error file with HTTP 500.

A translation is "译文：" followed by the text asked for, so a caller can check every answer landed on its own text.

Usage: python3 bench/batch-server.py [--port 0] [--delay 3] [--malformed-rate 0.1] [--fail-rate 0.05] [--seed 1]
Prints one JSON line {"url": "http://127.0.0.1:PORT/v1"} on stdout when it listens.
"""

import argparse
import json
import math
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TRANSLATION_PREFIX = '译文：'
MAX_LINES = 50_000
MAX_BYTES = 100 * 1024 * 1024
W_KEYS = ['who', 'what', 'when', 'where', 'why']


def tokens(text):
    return max(1, math.ceil(len(text) / 3))


class State:
    def __init__(self, args):
        self.args = args
        self.rand = random.Random(args.seed)
        self.lock = threading.Lock()
        self.files = {}
        self.batches = {}
        self.seq = 0
        self.stats = {
            'uploads': 0,
            'batches': 0,
            'cancels': 0,
            'lines': 0,
            'malformedLines': 0,
            'failedLines': 0,
            'realtimeRequests': 0,
            'realtimeByKind': {},
        }

    def next_id(self, prefix):
        self.seq += 1
        return '%s-%d%04d' % (prefix, int(time.time()), self.seq)


# ---- answers, from the prompt contract alone ----

def user_payload(messages):
    user = [m for m in messages if m.get('role') == 'user']
    return user[-1].get('content', '') if user else ''


def system_text(messages):
    return '\n'.join(m.get('content', '') for m in messages if m.get('role') == 'system')


def answer(body):
    """(kind, content) for a chat completion body."""
    messages = body.get('messages') or []
    json_mode = (body.get('response_format') or {}).get('type') == 'json_object'
    text = user_payload(messages)
    if not json_mode:
        # a single review: the whole user message is the text to translate, answered in plain text
        return 'translate_single', TRANSLATION_PREFIX + text
    try:
        payload = json.loads(text)
    except ValueError:
        return 'unknown', '{}'
    if not isinstance(payload, dict):
        return 'unknown', '{}'
    reviews = payload.get('reviews')
    if isinstance(reviews, dict) and 'dimensions' in payload:
        return 'insights', json.dumps({k: [] for k in reviews})
    if isinstance(reviews, dict) and 'labels' in payload:
        return 'themes', json.dumps({k: {w: [] for w in W_KEYS} for k in reviews})
    if isinstance(reviews, list):
        return 'learn', json.dumps({
            'dimensions': [{'name': 'quality', 'name_zh': '质量', 'description': 'how good it is'}],
            'labels': {w: [] for w in W_KEYS},
        })
    # the batch translation contract: {"r1": text, ...} in, the same keys out, each value the translation
    if all(re.fullmatch(r'r\d+', k) for k in payload) and all(isinstance(v, str) for v in payload.values()):
        return 'translate_batch', json.dumps({k: TRANSLATION_PREFIX + v for k, v in payload.items()}, ensure_ascii=False)
    return 'unknown', '{}'


def completion(body, request_id, malformed=False):
    kind, content = answer(body)
    if malformed:
        content = 'Sure! Here is the JSON you asked for: ' + content[: max(1, len(content) // 2)]
    prompt = tokens(''.join(m.get('content', '') for m in body.get('messages') or []))
    done = tokens(content)
    return kind, {
        'id': 'chatcmpl-' + request_id,
        'object': 'chat.completion',
        'created': int(time.time()),
        'model': body.get('model') or 'unknown',
        'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': content}, 'finish_reason': 'stop'}],
        'usage': {'prompt_tokens': prompt, 'completion_tokens': done, 'total_tokens': prompt + done},
    }


# ---- batches ----

def parse_input(content, errors):
    lines, seen = [], set()
    for i, raw in enumerate(content.split('\n')):
        if not raw.strip():
            continue
        try:
            v = json.loads(raw)
        except ValueError:
            errors.append({'code': 'invalid_json_line', 'message': 'line is not JSON', 'line': i + 1})
            continue
        cid = v.get('custom_id') if isinstance(v, dict) else None
        if not isinstance(cid, str) or not cid:
            errors.append({'code': 'missing_custom_id', 'message': 'custom_id is required', 'line': i + 1})
        elif cid in seen:
            errors.append({'code': 'duplicate_custom_id', 'message': 'custom_id %s is repeated' % cid, 'line': i + 1})
        elif v.get('method') != 'POST' or v.get('url') != '/v1/chat/completions' or not isinstance((v.get('body') or {}).get('messages'), list):
            errors.append({'code': 'invalid_request', 'message': 'method POST, url /v1/chat/completions, body.messages', 'line': i + 1})
        else:
            seen.add(cid)
            lines.append({'custom_id': cid, 'body': v['body']})
    if not lines and not errors:
        errors.append({'code': 'empty_file', 'message': 'the input file has no requests'})
    return lines


def done_count(state, b, now):
    if b['frozen'] is not None:
        return b['frozen']
    delay = state.args.delay
    share = 1.0 if delay <= 0 else min(1.0, (now - b['created']) / delay)
    return int(len(b['lines']) * share)


def status_of(state, b, now):
    if b['errors']:
        return 'failed'
    if b['cancelled'] is not None:
        return 'cancelling' if now - b['cancelled'] < 0.05 else 'cancelled'
    if now - b['created'] >= state.args.delay:
        return 'completed'
    return 'validating' if now - b['created'] < min(0.1, state.args.delay / 10) else 'in_progress'


def add_file(state, filename, purpose, data):
    f = {'id': state.next_id('file'), 'filename': filename, 'purpose': purpose, 'bytes': len(data), 'created': time.time(), 'data': data}
    state.files[f['id']] = f
    return f


def file_object(f):
    return {'id': f['id'], 'object': 'file', 'bytes': f['bytes'], 'created_at': int(f['created']),
            'filename': f['filename'], 'purpose': f['purpose'], 'status': 'processed'}


def finish(state, b, status):
    """Output and error files of a finished batch, written once."""
    if b['output_file_id'] or b['error_file_id'] or b['errors']:
        return
    done = done_count(state, b, time.time())
    out, err = [], []
    for i, line in enumerate(b['lines'][:done]):
        rid = 'batch_req_%s_%d' % (b['id'], i)
        if line['fail']:
            err.append({'id': rid, 'custom_id': line['custom_id'], 'response': {'status_code': 500, 'request_id': rid,
                        'body': {'error': {'message': 'Internal server error', 'type': 'server_error'}}}, 'error': None})
            continue
        _, body = completion(line['body'], rid, line['malformed'])
        out.append({'id': rid, 'custom_id': line['custom_id'], 'response': {'status_code': 200, 'request_id': rid, 'body': body}, 'error': None})
    state.rand.shuffle(out)
    if out:
        b['output_file_id'] = add_file(state, b['id'] + '_output.jsonl', 'batch_output',
                                       (''.join(json.dumps(x, ensure_ascii=False) + '\n' for x in out)).encode('utf-8'))['id']
    if err:
        b['error_file_id'] = add_file(state, b['id'] + '_error.jsonl', 'batch_output',
                                      (''.join(json.dumps(x) + '\n' for x in err)).encode('utf-8'))['id']


def batch_object(state, b):
    now = time.time()
    status = status_of(state, b, now)
    if status in ('completed', 'cancelled'):
        finish(state, b, status)
    done = 0 if b['errors'] else done_count(state, b, now)
    failed = sum(1 for line in b['lines'][:done] if line['fail'])
    return {
        'id': b['id'], 'object': 'batch', 'endpoint': b['endpoint'],
        'errors': {'object': 'list', 'data': b['errors'][:20]} if b['errors'] else None,
        'input_file_id': b['input_file_id'], 'completion_window': b['window'], 'status': status,
        'output_file_id': b['output_file_id'], 'error_file_id': b['error_file_id'],
        'created_at': int(b['created']), 'in_progress_at': int(b['created']),
        'expires_at': int(b['created'] + 86400),
        'completed_at': int(b['created'] + state.args.delay) if status == 'completed' else None,
        'cancelled_at': int(b['cancelled']) if status == 'cancelled' else None,
        'request_counts': {'total': len(b['lines']), 'completed': done - failed, 'failed': failed},
        'metadata': b['metadata'],
    }


def listing(items):
    return {'object': 'list', 'data': items, 'first_id': items[0]['id'] if items else None,
            'last_id': items[-1]['id'] if items else None, 'has_more': False}


def parse_multipart(content_type, body):
    m = re.search(r'boundary="?([^";]+)"?', content_type or '')
    if not m:
        return None
    boundary = b'--' + m.group(1).encode('latin-1')
    parts = {}
    for chunk in body.split(boundary)[1:]:
        if chunk.startswith(b'--'):
            break
        chunk = chunk[2:] if chunk.startswith(b'\r\n') else chunk
        head, _, data = chunk.partition(b'\r\n\r\n')
        if data.endswith(b'\r\n'):
            data = data[:-2]
        headers = head.decode('utf-8', 'replace')
        name = re.search(r'name="([^"]*)"', headers)
        filename = re.search(r'filename="([^"]*)"', headers)
        if name:
            parts[name.group(1)] = {'filename': filename.group(1) if filename else None, 'data': data}
    return parts


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    state = None

    def log_message(self, *args):
        pass

    def send_json(self, status, value):
        data = json.dumps(value, ensure_ascii=False).encode('utf-8')
        self.send_response(status)
        self.send_header('content-type', 'application/json')
        self.send_header('content-length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message, code):
        self.send_json(status, {'error': {'message': message, 'type': 'invalid_request_error', 'code': code}})

    def read_body(self):
        if 'chunked' in (self.headers.get('transfer-encoding') or '').lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get('content-length') or 0)
        return self.rfile.read(n) if n else b''

    def route(self):
        path = self.path.split('?')[0]
        if path.startswith('/compatible-mode'):
            path = path[len('/compatible-mode'):]
        return path

    def do_GET(self):
        self.handle_request('GET', b'')

    def do_DELETE(self):
        self.handle_request('DELETE', b'')

    def do_POST(self):
        self.handle_request('POST', self.read_body())

    def handle_request(self, method, body):
        s = self.state
        path = self.route()
        with s.lock:
            if path == '/stats' and method == 'GET':
                return self.send_json(200, s.stats)
            if path == '/v1/chat/completions' and method == 'POST':
                req = json.loads(body or b'{}')
                kind, value = completion(req, s.next_id('rt'))
                s.stats['realtimeRequests'] += 1
                s.stats['realtimeByKind'][kind] = s.stats['realtimeByKind'].get(kind, 0) + 1
                return self.send_json(200, value)
            m = re.fullmatch(r'/v1/(files|batches)(?:/([^/]+))?(?:/(content|cancel))?', path)
            if not m:
                return self.error(404, 'no route %s %s' % (method, path), 'not_found')
            kind, ident, action = m.groups()
            if kind == 'files':
                return self.files_route(method, ident, action, body)
            return self.batches_route(method, ident, action, body)

    def files_route(self, method, ident, action, body):
        s = self.state
        if not ident and method == 'POST':
            parts = parse_multipart(self.headers.get('content-type'), body)
            if not parts or 'file' not in parts:
                return self.error(400, 'expected multipart/form-data with file and purpose', 'invalid_body')
            purpose = parts.get('purpose', {}).get('data', b'').decode()
            if purpose != 'batch':
                return self.error(400, 'purpose must be batch', 'invalid_purpose')
            data = parts['file']['data']
            lines = sum(1 for line in data.split(b'\n') if line.strip())
            if len(data) > MAX_BYTES:
                return self.error(400, 'file is larger than %d bytes' % MAX_BYTES, 'file_too_large')
            if lines > MAX_LINES:
                return self.error(400, 'file has %d requests, more than %d' % (lines, MAX_LINES), 'too_many_requests')
            s.stats['uploads'] += 1
            return self.send_json(200, file_object(add_file(s, parts['file']['filename'] or 'input.jsonl', purpose, data)))
        if not ident and method == 'GET':
            return self.send_json(200, listing([file_object(f) for f in reversed(list(s.files.values()))]))
        f = s.files.get(ident)
        if not f:
            return self.error(404, 'no file %s' % ident, 'file_not_found')
        if method == 'DELETE' and not action:
            del s.files[ident]
            return self.send_json(200, {'id': ident, 'object': 'file', 'deleted': True})
        if method == 'GET' and action == 'content':
            self.send_response(200)
            self.send_header('content-type', 'application/octet-stream')
            self.send_header('content-length', str(len(f['data'])))
            self.end_headers()
            return self.wfile.write(f['data'])
        if method == 'GET' and not action:
            return self.send_json(200, file_object(f))
        return self.error(405, 'method not allowed', 'method_not_allowed')

    def batches_route(self, method, ident, action, body):
        s = self.state
        if not ident and method == 'POST':
            p = json.loads(body or b'{}')
            f = s.files.get(p.get('input_file_id'))
            if not f:
                return self.error(404, 'no file %s' % p.get('input_file_id'), 'file_not_found')
            if p.get('endpoint') != '/v1/chat/completions':
                return self.error(400, 'endpoint must be /v1/chat/completions', 'invalid_endpoint')
            errors = []
            lines = parse_input(f['data'].decode('utf-8'), errors)
            for line in lines:
                json_mode = ((line['body'].get('response_format') or {}).get('type') == 'json_object')
                line['fail'] = s.rand.random() < s.args.fail_rate
                line['malformed'] = not line['fail'] and json_mode and s.rand.random() < s.args.malformed_rate
                s.stats['failedLines'] += line['fail']
                s.stats['malformedLines'] += line['malformed']
            s.stats['batches'] += 1
            s.stats['lines'] += len(lines)
            b = {'id': s.next_id('batch'), 'input_file_id': f['id'], 'endpoint': p['endpoint'],
                 'window': p.get('completion_window', '24h'), 'metadata': p.get('metadata'), 'created': time.time(),
                 'lines': [] if errors else lines, 'errors': errors, 'frozen': None, 'cancelled': None,
                 'output_file_id': None, 'error_file_id': None}
            s.batches[b['id']] = b
            return self.send_json(200, batch_object(s, b))
        if not ident and method == 'GET':
            return self.send_json(200, listing([batch_object(s, b) for b in reversed(list(s.batches.values()))]))
        b = s.batches.get(ident)
        if not b:
            return self.error(404, 'no batch %s' % ident, 'batch_not_found')
        if method == 'GET' and not action:
            return self.send_json(200, batch_object(s, b))
        if method == 'POST' and action == 'cancel':
            status = status_of(s, b, time.time())
            if status not in ('validating', 'in_progress'):
                return self.error(400, 'cannot cancel a batch that is %s' % status, 'invalid_state')
            b['frozen'] = done_count(s, b, time.time())
            b['cancelled'] = time.time()
            s.stats['cancels'] += 1
            return self.send_json(200, batch_object(s, b))
        return self.error(405, 'method not allowed', 'method_not_allowed')


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client killed mid-request (the bench kills the daemon with -9) is expected, not worth a traceback
        if isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description='OpenAI-compatible server with the Batch API (independent of voc)')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--delay', type=float, default=3.0, help='seconds a batch takes from creation to completion')
    ap.add_argument('--malformed-rate', type=float, default=0.0, help='share of JSON-mode lines answered not as asked')
    ap.add_argument('--fail-rate', type=float, default=0.0, help='share of lines answered with HTTP 500 in the error file')
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    Handler.state = State(args)
    server = Server((args.host, args.port), Handler)
    print(json.dumps({'url': 'http://%s:%d/v1' % (args.host, server.server_address[1])}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == '__main__':
    sys.exit(main())
