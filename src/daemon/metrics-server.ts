import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import type { DaemonMetrics } from './metrics.js';
import type { HealthChecks } from './health.js';

export interface MetricsServer {
  /** http://host:port of the listening server */
  url: string;
  close(): Promise<void>;
}

/**
 * The opt-in TCP port for Prometheus and supervisors: `GET /metrics` (text exposition) and `GET /health` (200 when
 * every check passes, 503 otherwise, the same JSON as the socket's). Read-only and secret-free, but bound to
 * loopback unless daemon.metricsHost says otherwise. A port that cannot be bound is one log line and no metrics:
 * the daemon itself keeps serving.
 */
export async function startMetricsServer(o: {
  host: string;
  port: number;
  metrics: DaemonMetrics;
  health: () => Promise<{ checks: HealthChecks }>;
  log: Logger;
}): Promise<MetricsServer | null> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'GET') return answer(405, 'text/plain', 'GET only\n');
    const work =
      url === '/metrics'
        ? o.metrics.scrape().then((text) => answer(200, o.metrics.contentType, text))
        : url === '/health'
          ? o.health().then((h) => answer(h.checks.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(h)))
          : Promise.resolve(answer(404, 'text/plain', 'GET /metrics or /health\n'));
    work.catch((err) => {
      o.log.warn('metrics_request_failed', { url, error: errorMessage(err) });
      if (!res.headersSent) answer(500, 'text/plain', 'internal error\n');
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
    o.log.error('metrics_unavailable', { host: o.host, port: o.port, error: code, note: 'metrics are off; the daemon keeps serving' });
    return null;
  }
  server.on('error', (err) => o.log.warn('metrics_server_error', { error: errorMessage(err) }));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
