import http from 'node:http';
import https from 'node:https';

/** Set on a request's init by permitFetch: called once the request has been handed to the socket. */
export const ON_WIRE = Symbol('voc.onWire');
type WireInit = RequestInit & { [ON_WIRE]?: (at: number) => void };

/**
 * A Response whose body was read in full before it was made: json() and text() decode the bytes in hand instead of
 * going through a web stream. The SDK reads a chat completion with one of them.
 */
class ReadResponse extends Response {
  override readonly text: Response['text'];
  override readonly json: Response['json'];
  override readonly arrayBuffer: Response['arrayBuffer'];
  constructor(bytes: Buffer, init: ResponseInit) {
    super(null, init);
    this.text = () => Promise.resolve(bytes.toString('utf8'));
    this.json = () => new Promise((resolve) => resolve(JSON.parse(bytes.toString('utf8'))));
    this.arrayBuffer = () => Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }
}

/**
 * The fetch under the gateway's OpenAI client: node:http over keep-alive agents. Node's own fetch builds web
 * streams, signals and request objects for every call, which at 200 calls/s cost the daemon more CPU than the rest
 * of a call's path. It serves what the SDK sends for a chat completion (a JSON string body, an answer read whole);
 * anything else is refused. The abort signal cuts the request at any point, body included.
 */
export function httpFetch(): typeof fetch {
  const agents: Record<string, http.Agent> = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  return (input, init?: WireInit) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const agent = agents[url.protocol];
      const body = init?.body ?? null;
      if (!agent) return reject(new TypeError(`fetch failed: unsupported protocol ${url.protocol}`));
      if (body !== null && typeof body !== 'string') return reject(new TypeError('fetch failed: only a string body is supported'));
      if (init?.signal?.aborted) return reject(init.signal.reason);
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
      if (body !== null) headers['content-length'] = String(Buffer.byteLength(body));
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(url, { method: init?.method ?? 'GET', headers, agent, signal: init?.signal ?? undefined });
      // the SDK and the gateway know a connection error by this shape (fetch's own)
      const fail = (err: Error) => reject(err.name === 'AbortError' ? err : new TypeError(`fetch failed: ${err.message}`, { cause: err }));
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          const raw = res.rawHeaders;
          const pairs: Array<[string, string]> = [];
          for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
          try {
            resolve(
              new ReadResponse(Buffer.concat(chunks), { status: res.statusCode ?? 0, statusText: res.statusMessage, headers: pairs }),
            );
          } catch (err) {
            fail(err as Error); // a status a Response cannot carry
          }
        });
      });
      const onWire = init?.[ON_WIRE];
      req.end(body ?? undefined, onWire ? () => onWire(Date.now()) : undefined);
    });
}
