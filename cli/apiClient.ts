import { signRequest } from '../core/auth/signing.ts';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';

export interface ApiClientOptions {
  /** Base URL up to and including the routes' prefix, e.g. `http://127.0.0.1:7071/api`. */
  url: string;
  keyId: string;
  secret: string;
  clock: Clock;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Transport failures (refused, reset, timed out): worth a retry, unlike an HTTP answer. */
export class TransportError extends Error {
  readonly code = 'transport';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
  }
}

/** Signed calls to HTTP API v1. Each call gets a fresh nonce, so a retry is never a replay. */
export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers = signRequest({
      keyId: this.options.keyId,
      secret: this.options.secret,
      method,
      pathWithQuery: path,
      body: text,
      nowMs: this.options.clock.now(),
    });
    const url = this.options.url.replace(/\/+$/, '') + path;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: text }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 130_000),
      });
    } catch (err) {
      throw new TransportError(`${method} ${url}: ${errorMessage(err)}${causeOf(err)}`, {
        cause: err,
      });
    }
    const raw = await response.text();
    let parsed: unknown = raw;
    try {
      parsed = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      // keep the text: a proxy's HTML error page says more than a parse error would
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? ''})` : '';
}
