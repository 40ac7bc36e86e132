import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { nginx502 as badGateway } from './misbehavingServer.ts';
import { freePort } from './ports.ts';

/** What the proxy does with one request: pass it to the back end, or fail it like a proxy does. */
export type ProxyMove = 'forward' | 'bad-gateway' | 'drop';

export interface FlakyProxy {
  url: string;
  /** Requests seen, each with the move made and when (ms since the epoch). */
  log: { method: string; path: string; move: ProxyMove; at: number }[];
  /** Destroys every open connection (a network cut); new ones are accepted as before. */
  cut(): void;
  close(): Promise<void>;
}

/**
 * A reverse proxy in front of a real Fencer, on a free loopback port: `decide` says for each
 * request whether the back end is "up" (forward) or how the proxy fails it (502 page as nginx
 * sends it when its upstream is down, or the connection dropped).
 */
export async function startFlakyProxy(
  backend: string,
  decide: (req: IncomingMessage) => ProxyMove,
): Promise<FlakyProxy> {
  const target = new URL(backend);
  const log: FlakyProxy['log'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const move = decide(req);
    log.push({ method: req.method ?? '', path: req.url ?? '', move, at: Date.now() });
    if (move === 'drop') {
      req.socket.destroy();
      return;
    }
    if (move === 'bad-gateway') {
      req.resume();
      res.writeHead(502, { 'content-type': 'text/html', connection: 'close' }).end(badGateway);
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502, { 'content-type': 'text/html' }).end(badGateway));
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}${target.pathname.replace(/\/+$/, '')}`,
    log,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
