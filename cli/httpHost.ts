import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleApiRequest } from '../core/api/router.ts';
import type { ApiContext, ApiRequest, ApiResponse } from '../core/api/types.ts';
import { maxBodyBytes } from '../core/protocol/api.ts';
import { problem } from '../core/protocol/problems.ts';
import { handleUiRequest } from './uiRoutes.ts';

const prefix = '/api';

/** What one host serves at once; past it, requests get 503 and connections are refused. */
export interface HttpLimits {
  /** Open connections (Node closes the ones past it at once). */
  maxConnections: number;
  /** Requests being answered, long-polls included; past it: 503 `unavailable`, Retry-After. */
  maxInFlight: number;
  /** A client must send its headers within this, and its whole request within `requestTimeoutMs`. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export const defaultHttpLimits: HttpLimits = {
  maxConnections: 512,
  maxInFlight: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

/** PEM certificate and key of an HTTPS host (re-read on SIGHUP by the caller). */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * The local host's HTTP adapter: the same handlers the Functions app uses, under `/api`.
 * It stops reading a body past 16 KiB (413) instead of buffering whatever a client sends,
 * and bounds connections, slow clients and requests in flight (DESIGN "Local host").
 */
export function createHttpHost(
  ctx: ApiContext,
  limits: HttpLimits = defaultHttpLimits,
  tls?: TlsFiles,
): { server: Server; inFlight: () => number } {
  let inFlight = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (inFlight >= limits.maxInFlight) {
      req.resume();
      send(res, {
        status: 503,
        headers: { 'retry-after': '1' },
        body: problem('unavailable', `over ${limits.maxInFlight} requests in flight; retry`),
      });
      return;
    }
    inFlight++;
    res.on('close', () => {
      inFlight--;
    });
    serve(ctx, req, res).catch((err) => {
      ctx.log.error({ err: String(err) }, 'http adapter failed');
      if (!res.headersSent)
        send(res, { status: 500, headers: {}, body: problem('internal-error', 'internal error') });
    });
  };
  const options = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    // Node enforces the two timeouts above on this tick (default 30 s, too coarse for 10 s).
    connectionsCheckingInterval: 1_000,
  };
  // An https.Server is a tls.Server; the request side is the same as node:http's.
  const server = (
    tls
      ? createHttpsServer({ ...options, cert: tls.cert, key: tls.key }, handler)
      : createServer(options, handler)
  ) as Server;
  server.maxConnections = limits.maxConnections;
  // Requests Node's parser refuses (an unknown or lower-case method, bytes that are not HTTP,
  // headers over 16 KiB) never reach a handler; Node would answer them with an empty 400/431.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.destroy();
      return;
    }
    const detail =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 'the request headers are over 16 KiB'
        : `not a valid HTTP request (${err.code ?? 'parse error'})`;
    const text = JSON.stringify(problem('invalid-request', detail));
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
  });
  return { server, inFlight: () => inFlight };
}

async function serve(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // The operator dashboard (`/api/ui/`, and `/` redirects to it): static files, no API.
  if (await handleUiRequest(req, res)) return;
  const raw = req.url ?? '/';
  if (raw !== prefix && !raw.startsWith(`${prefix}/`)) {
    send(res, {
      status: 404,
      headers: {},
      body: problem('not-found', `routes live under ${prefix}/v1/`),
    });
    return;
  }
  const body = await readBody(req);
  if (body === 'too-large') {
    send(res, {
      status: 413,
      headers: { connection: 'close' },
      body: problem('payload-too-large', `the limit is ${maxBodyBytes} bytes`),
    });
    return;
  }
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const request: ApiRequest = {
    method: req.method ?? 'GET',
    pathWithQuery: raw.slice(prefix.length) || '/',
    headers,
    body,
  };
  send(res, await handleApiRequest(ctx, request));
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: ApiResponse): void {
  const isProblem =
    typeof response.body === 'object' &&
    response.body !== null &&
    'code' in response.body &&
    response.status >= 400;
  const type =
    response.headers['content-type'] ??
    (isProblem ? 'application/problem+json; charset=utf-8' : 'application/json; charset=utf-8');
  const text = response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...response.headers,
    'content-type': type,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
