import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { MemoryNonceStore } from '../core/auth/verify.ts';
import type { Clock } from '../core/clock.ts';
import { type Problem, ProblemError, problem } from '../core/protocol/problems.ts';
import packageJson from '../package.json' with { type: 'json' };
import { type HttpAnswer, handleAction } from './actions.ts';
import type { Logger } from './audit.ts';
import type { RelayRuntimeConfig, ResolvedTarget } from './config.ts';
import { createExecutor } from './executors/createExecutor.ts';
import type { PowerExecutor } from './executors/types.ts';
import { IdempotencyStore } from './idempotency.ts';
import type { Runner } from './runner.ts';

export const maxBodyBytes = 16 * 1024;

export interface RelayServerDeps {
  clock: Clock;
  runner: Runner;
  logger: Logger;
  /** Base environment of child processes (PATH, locale); see ExecutorDeps.childEnv. */
  childEnv: Readonly<Record<string, string>>;
  /** Tests may hand in fake executors; by default they are built from the target's config. */
  executorFor?: (target: ResolvedTarget) => PowerExecutor;
}

/**
 * The relay's HTTPS server: `GET /v1/health` (unsigned) and `POST /v1/actions` (signed).
 * `reload()` swaps configuration and certificates in place; a request that already started
 * keeps the configuration it started with, so a reload never drops an action in flight.
 */
export class RelayServer {
  private config: RelayRuntimeConfig;
  private readonly server: Server;
  private readonly nonces: MemoryNonceStore;
  private readonly idempotency: IdempotencyStore;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    config: RelayRuntimeConfig,
    private readonly deps: RelayServerDeps,
  ) {
    this.config = config;
    this.nonces = new MemoryNonceStore(() => deps.clock.now());
    this.idempotency = new IdempotencyStore(deps.clock, config.idempotencyMs);
    // A client certificate is always asked for but checked by the handler, so that adding or
    // removing tls.clientCa takes effect on reload without a restart.
    this.server = createServer(
      { ...secureContextOf(config), requestCert: true, rejectUnauthorized: false },
      (req, res) => this.track(this.handle(req, res)),
    );
    // Receiving a request (headers and 16 KiB of body) is quick; answering may take up to the
    // action's deadlineMs, which these timeouts do not cover.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  /** Listens on the configured address; resolves with the URL and logs it when ready. */
  async start(): Promise<{ url: string; host: string; port: number }> {
    const { host, port } = this.config.listen;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `https://${shown}:${address.port}`;
    this.deps.logger.info({ url, targets: this.config.targets.size }, `listening on ${url}`);
    return { url, host: address.address, port: address.port };
  }

  /** Swaps configuration and TLS material; the listen address needs a restart. */
  reload(next: RelayRuntimeConfig): void {
    const before = this.config;
    this.server.setSecureContext(secureContextOf(next));
    this.idempotency.setTtl(next.idempotencyMs);
    this.config = next;
    if (before.listen.host !== next.listen.host || before.listen.port !== next.listen.port) {
      this.deps.logger.warn('listen changed in the config: it takes effect after a restart');
    }
    this.deps.logger.info({ targets: next.targets.size, keys: next.keys.size }, 'config reloaded');
  }

  /** Stops accepting, waits for running actions (each bounded by its deadline), then closes. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await Promise.allSettled([...this.inFlight, ...this.idempotency.running()]);
    this.server.closeAllConnections();
    await closed;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const config = this.config;
    const path = req.url ?? '/';
    try {
      const route = path.split('?')[0];
      if (route === '/v1/health') {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed('GET');
        return send(res, { status: 200, body: { status: 'ok', version: packageJson.version } });
      }
      if (route !== '/v1/actions') throw new ProblemError('not-found', `no route ${route}`);
      if (req.method !== 'POST') throw notAllowed('POST');
      if (config.tls.clientCa && !(req.socket as TLSSocket).authorized) {
        throw new ProblemError(
          'unauthenticated',
          'a client certificate signed by the relay tls.clientCa is required',
        );
      }
      const body = await readBody(req);
      const answer = await handleAction(
        {
          config,
          clock: this.deps.clock,
          nonces: this.nonces,
          idempotency: this.idempotency,
          logger: this.deps.logger,
          executorFor:
            this.deps.executorFor ??
            ((target) =>
              createExecutor(target, {
                runner: this.deps.runner,
                clock: this.deps.clock,
                childEnv: this.deps.childEnv,
              })),
        },
        { method: req.method, pathWithQuery: path, headers: headersOf(req), body },
      );
      send(res, answer);
    } catch (err) {
      const answer = err instanceof ProblemError ? err.problem : internal(err, this.deps.logger);
      // Every refusal is on record (a probe for targets, a wrong key, a replay).
      this.deps.logger.warn(
        { refused: answer.code, method: req.method, path, remote: req.socket?.remoteAddress },
        answer.detail,
      );
      send(res, {
        status: answer.status,
        body: answer,
        headers: {
          ...(answer['allow'] ? { Allow: String(answer['allow']) } : {}),
          // The rest of an oversized body is not read: this connection cannot be reused.
          ...(answer.code === 'payload-too-large' ? { Connection: 'close' } : {}),
        },
      });
    }
  }
}

function secureContextOf(config: RelayRuntimeConfig) {
  return {
    cert: config.tls.cert,
    key: config.tls.key,
    ...(config.tls.clientCa ? { ca: config.tls.clientCa } : {}),
    minVersion: 'TLSv1.2' as const,
  };
}

function notAllowed(allow: string): ProblemError {
  return new ProblemError('method-not-allowed', `use ${allow}`, { allow });
}

function internal(err: unknown, logger: Logger): Problem {
  logger.error({ err }, 'unexpected error while handling a request');
  return problem('internal-error', 'unexpected error; see the relay log');
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Reads at most 16 KiB. Past that it stops reading without destroying the request (a destroyed
 * socket could not carry the 413 answer); the answer then closes the connection.
 */
function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function tooLarge(): ProblemError {
  return new ProblemError('payload-too-large', `the body is larger than ${maxBodyBytes} bytes`);
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  if (res.headersSent) return;
  const isProblem = answer.status >= 400;
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'Content-Type': isProblem ? 'application/problem+json' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...answer.headers,
  });
  res.end(text);
}
