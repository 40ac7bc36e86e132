import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type Problem, ProblemError, problem } from '../core/protocol/problems.ts';
import packageJson from '../package.json' with { type: 'json' };
import { ActionService, type ActionServiceDeps } from './actionService.ts';
import type { Logger } from './audit.ts';
import type { RelayRuntimeConfig } from './config.ts';
import { headersOf, readBody, send } from './http.ts';
import { connectionBudget, openFileLimit } from './limits.ts';
import { LogLimiter, truncate } from './logLimiter.ts';

export type RelayServerDeps = ActionServiceDeps;

/**
 * The relay's HTTPS server: `GET /v1/health` (unsigned) and `POST /v1/actions` (signed).
 * `reload()` swaps configuration and certificates in place; a request that already started
 * keeps the configuration it started with, so a reload never drops an action in flight.
 */
export class RelayServer {
  private config: RelayRuntimeConfig;
  private readonly server: Server;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Floods are logged as a few lines and a count, never a line per connection or request. */
  private readonly refusals: LogLimiter;
  private readonly drops: LogLimiter;
  private readonly serverErrors: LogLimiter;
  private readonly nofile = openFileLimit();
  /** Connections that carried a signed action: Fencer's, kept open idle for limits.keepAliveSeconds. */
  private readonly fencerSockets = new WeakSet<Socket>();

  /**
   * `service` is shared with the pull loop when the relay also polls (one nonce store, one
   * idempotency store, one scheduler for both ways in).
   */
  constructor(
    config: RelayRuntimeConfig,
    private readonly deps: RelayServerDeps,
    private readonly service: ActionService = new ActionService(config, deps),
  ) {
    this.config = config;
    this.refusals = new LogLimiter(deps.logger, deps.clock, 'refused requests');
    this.drops = new LogLimiter(deps.logger, deps.clock, 'connections closed at the limit');
    this.serverErrors = new LogLimiter(deps.logger, deps.clock, 'server errors');
    // A client certificate is always asked for but checked by the handler, so that adding or
    // removing tls.clientCa takes effect on reload without a restart.
    this.server = createServer(
      {
        ...secureContextOf(config),
        requestCert: true,
        rejectUnauthorized: false,
        // A connection that never completes its TLS handshake is closed after this long.
        handshakeTimeout: 10_000,
        // How often headersTimeout/requestTimeout are enforced (Node's default is 30 s).
        connectionsCheckingInterval: 2_000,
      },
      (req, res) => this.track(this.handle(req, res)),
    );
    // Receiving a request (headers and 16 KiB of body) is quick; answering may take up to the
    // action's deadlineMs, which these timeouts do not cover.
    // headersTimeout counts from a request's first byte, not from an idle connection's last
    // answer, so it does not cut the long keep-alive below short.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    // Anyone's connection is closed after 5 s idle; Fencer's stays open longer (keepOpen).
    this.server.keepAliveTimeout = anonymousKeepAliveMs;
    this.applyConnectionLimit(config);
    // Past maxConnections Node closes new connections as they come ('drop'). An accept that
    // fails (EMFILE) is an 'error' of the server: without a listener it would end the process.
    this.server.on('drop', (data) =>
      this.drops.log(() =>
        deps.logger.warn(
          { remote: data?.remoteAddress, maxConnections: this.server.maxConnections },
          'connection closed: the relay holds limits.maxConnections connections',
        ),
      ),
    );
    this.server.on('error', (err: NodeJS.ErrnoException) =>
      this.serverErrors.log(() =>
        deps.logger.error({ code: err.code }, `server error: ${err.message}`),
      ),
    );
  }

  /** maxConnections within what the open-file limit can hold (limits.ts), warned when lowered. */
  private applyConnectionLimit(config: RelayRuntimeConfig): void {
    const budget = connectionBudget(config.limits, this.nofile);
    this.server.maxConnections = budget.maxConnections;
    if (budget.lowered) {
      this.deps.logger.warn(
        { maxConnections: budget.maxConnections, openFileLimit: this.nofile },
        `limits.maxConnections ${config.limits.maxConnections} lowered to ${budget.maxConnections}: the open-file limit is ${this.nofile} (raise LimitNOFILE)`,
      );
    }
  }

  /** Listens on the configured address; resolves with the URL and logs it when ready. */
  async start(): Promise<{ url: string; host: string; port: number }> {
    if (!this.config.listen) throw new Error('relay.yaml has no listen: nothing to serve');
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
    if (next.tls) this.server.setSecureContext(secureContextOf(next));
    this.service.reload(next);
    this.applyConnectionLimit(next);
    this.config = next;
    if (before.listen?.host !== next.listen?.host || before.listen?.port !== next.listen?.port) {
      this.deps.logger.warn('listen changed in the config: it takes effect after a restart');
    }
    this.deps.logger.info({ targets: next.targets.size, keys: next.keys.size }, 'config reloaded');
  }

  /** Stops accepting, waits for running actions (each bounded by its deadline), then closes. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await Promise.allSettled([...this.inFlight, ...this.service.running()]);
    this.server.closeAllConnections();
    await closed;
    for (const limiter of [this.refusals, this.drops, this.serverErrors]) limiter.flush();
  }

  /**
   * Fencer's connections stay open idle for limits.keepAliveSeconds (its readiness checks come
   * more often), so a fence finds the TLS session its last check left: no handshake on the
   * critical path. The Keep-Alive header tells the client, whose agent closes the connection a
   * second before the relay does (no request sent into a closing socket). The socket's idle
   * timer is set after Node's own (it sets the server's 5 s when the answer is finished).
   */
  private keepOpen(req: IncomingMessage, res: ServerResponse, config: RelayRuntimeConfig): void {
    this.fencerSockets.add(req.socket);
    const seconds = config.limits.keepAliveSeconds;
    res.setHeader('Keep-Alive', `timeout=${seconds}`);
    res.once('finish', () => req.socket.setTimeout(seconds * 1000 + keepAliveMarginMs));
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const config = this.config;
    const path = req.url ?? '/';
    const fencers = this.fencerSockets.has(req.socket);
    if (fencers) this.keepOpen(req, res, config);
    try {
      const route = path.split('?')[0];
      if (route === '/v1/health') {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed('GET');
        return send(res, { status: 200, body: { status: 'ok', version: packageJson.version } });
      }
      if (route !== '/v1/actions') {
        throw new ProblemError('not-found', `no route ${truncate(route ?? '', 256)}`);
      }
      if (req.method !== 'POST') throw notAllowed('POST');
      if (config.tls?.clientCa && !(req.socket as TLSSocket).authorized) {
        throw new ProblemError(
          'unauthenticated',
          'a client certificate signed by the relay tls.clientCa is required',
        );
      }
      const body = await readBody(req);
      const answer = await this.service.handle({
        method: req.method,
        pathWithQuery: path,
        headers: headersOf(req),
        body,
      });
      // The signature held: this is Fencer's connection.
      if (!fencers) this.keepOpen(req, res, config);
      send(res, answer);
    } catch (err) {
      const answer = err instanceof ProblemError ? err.problem : internal(err, this.deps.logger);
      // Refusals are on record (a probe for targets, a wrong key, a replay), but a flood of
      // them is a few lines and a count, with what came from the wire cut short.
      this.refusals.log(() =>
        this.deps.logger.warn(
          {
            refused: answer.code,
            method: truncate(req.method ?? '', 16),
            path: truncate(path, 256),
            remote: req.socket?.remoteAddress,
          },
          truncate(answer.detail, 512),
        ),
      );
      send(res, {
        status: answer.status,
        body: answer,
        headers: {
          ...(answer['allow'] ? { Allow: String(answer['allow']) } : {}),
          ...(answer['retryAfter'] ? { 'Retry-After': String(answer['retryAfter']) } : {}),
          // The rest of an oversized body is not read: this connection cannot be reused.
          ...(answer.code === 'payload-too-large' ? { Connection: 'close' } : {}),
        },
      });
    }
  }
}

/** Idle time of a connection that never carried a signed action. */
const anonymousKeepAliveMs = 5_000;
/** Past the advertised keep-alive, as Node does: the client closes first. */
const keepAliveMarginMs = 1_000;

function secureContextOf(config: RelayRuntimeConfig) {
  if (!config.tls) throw new Error('relay.yaml has no tls: nothing to serve');
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
