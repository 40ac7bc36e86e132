import { signRequest } from '../core/auth/signing.ts';
import type { Clock } from '../core/clock.ts';
import { exchange } from './httpExchange.ts';

export interface ApiClientOptions {
  /** Base URL up to and including the routes' prefix, e.g. `http://127.0.0.1:7071/api`. */
  url: string;
  keyId: string;
  secret: string;
  clock: Clock;
  /** Longest one request may take, from connect to the last byte of the answer (default 130 s). */
  timeoutMs?: number;
}

/** Per call: another timeout, and a time (ms on the client's clock) it may not outlast. */
export interface RequestLimits {
  timeoutMs?: number;
  deadline?: number;
}

export interface ApiAnswer {
  status: number;
  /** The parsed JSON (undefined when empty), or the raw text when it is not JSON. */
  body: unknown;
  /** Whether the body was JSON (or empty): a proxy's HTML page is not. */
  json: boolean;
  headers: Headers;
}

/** Transport failures (refused, reset, closed, timed out, name not found): worth a retry. */
export class TransportError extends Error {
  readonly code = 'transport';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: {
      cause?: unknown;
      /** The caller's deadline, not the server, ended it: there was no time for an answer. */
      cutShort?: boolean;
    },
  ) {
    super(message, options);
    this.name = 'TransportError';
    this.cutShort = options?.cutShort ?? false;
  }
  readonly cutShort: boolean;
}

const defaultTimeoutMs = 130_000;

/** Signed calls to HTTP API v1. Each call gets a fresh nonce, so a retry is never a replay. */
export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  get clock(): Clock {
    return this.options.clock;
  }

  /** The full URL of an API path, as errors name it. */
  urlOf(path: string): string {
    return this.options.url.replace(/\/+$/, '') + path;
  }

  /**
   * One signed request. It ends, answered or with a TransportError, within its timeout and
   * before the deadline: the timer that enforces this keeps the process alive while it runs.
   */
  async request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    limits: RequestLimits = {},
  ): Promise<ApiAnswer> {
    const url = this.urlOf(path);
    const now = this.options.clock.now();
    const deadline = limits.deadline ?? Number.POSITIVE_INFINITY;
    const cap = limits.timeoutMs ?? this.options.timeoutMs ?? defaultTimeoutMs;
    const timeoutMs = Math.min(cap, deadline - now);
    const cutShort = timeoutMs < cap;
    if (timeoutMs <= 0)
      throw new TransportError(`${method} ${url}: no time left`, false, { cutShort });
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers = signRequest({
      keyId: this.options.keyId,
      secret: this.options.secret,
      method,
      pathWithQuery: path,
      body: text,
      nowMs: now,
    });
    const exchanged = await exchange(
      url,
      {
        method,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: text,
      },
      timeoutMs,
    );
    if (!exchanged.ok)
      throw new TransportError(`${method} ${url}: ${exchanged.reason}`, exchanged.retryable, {
        cause: exchanged.cause,
        cutShort: cutShort && exchanged.timedOut === true,
      });
    const { status, headers: answerHeaders, text: raw } = exchanged;
    try {
      return {
        status,
        body: raw === '' ? undefined : JSON.parse(raw),
        json: true,
        headers: answerHeaders,
      };
    } catch {
      // keep the text: a proxy's HTML error page says more than a parse error would
      return { status, body: raw, json: false, headers: answerHeaders };
    }
  }
}
