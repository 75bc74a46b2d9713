import net from 'node:net';

/**
 * A TCP proxy a test controls, to give one daemon a server outage without touching the shared server. `cut()`
 * drops every open connection and resets new ones; `stall('requests')` holds what the client sends (a query never
 * reaches the server), `stall('responses')` holds what the server answers (a statement commits, the client never
 * hears of it). `restore()` ends either.
 */
export interface TcpProxy {
  port: number;
  cut(): void;
  stall(direction: 'requests' | 'responses'): void;
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let mode: 'up' | 'down' | 'requests' | 'responses' = 'up';
  // a paused, unpiped source holds its bytes in the socket buffers until it is piped again
  const hold = (from: net.Socket, to: net.Socket) => {
    from.unpipe(to);
    from.pause();
  };
  const apply = (p: Pair) => {
    p.client.unpipe(p.upstream);
    p.upstream.unpipe(p.client);
    if (mode === 'requests') hold(p.client, p.upstream);
    else p.client.pipe(p.upstream);
    if (mode === 'responses') hold(p.upstream, p.client);
    else p.upstream.pipe(p.client);
  };
  const server = net.createServer((client) => {
    if (mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    const p: Pair = { client, upstream: net.connect(target.port, target.host) };
    pairs.add(p);
    const drop = () => {
      p.client.destroy();
      p.upstream.destroy();
      pairs.delete(p);
    };
    client.on('error', drop).on('close', drop);
    p.upstream.on('error', drop).on('close', drop);
    apply(p);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const cut = () => {
    mode = 'down';
    for (const p of pairs) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    pairs.clear();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    cut,
    stall: (direction) => {
      mode = direction;
      for (const p of pairs) apply(p);
    },
    restore: () => {
      mode = 'up';
      for (const p of pairs) apply(p);
    },
    close: async () => {
      cut();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The same PostgreSQL URL, through the proxy. */
export function viaProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}
