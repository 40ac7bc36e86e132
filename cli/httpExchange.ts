import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export type Exchanged =
  | { ok: true; status: number; headers: Headers; text: string }
  | { ok: false; reason: string; retryable: boolean; cause?: unknown; timedOut?: boolean };

/** More than any API answer; a misbehaving server cannot make the client hold more. */
const maxAnswerBytes = 4 * 1024 * 1024;

/**
 * One HTTP exchange over node:http(s), settled exactly once within `timeoutMs`, body included.
 * Not `fetch`: Node 20's fetch never settles when a server closes a connection right after
 * accepting it, and its `AbortSignal.timeout` timer is unref'd, so the process ended (exit 13)
 * with the request still pending. The timer here is an ordinary ref'd one: while a request is
 * out, the process waits for it, and at the timeout the request is destroyed, not left behind.
 */
export function exchange(
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
  timeoutMs: number,
): Promise<Exchanged> {
  return new Promise((resolve) => {
    let req: ClientRequest | undefined;
    let settled = false;
    const settle = (result: Exchanged) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!result.ok) req?.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        settle({
          ok: false,
          reason: `no answer within ${seconds(timeoutMs)} s`,
          retryable: true,
          timedOut: true,
        }),
      timeoutMs,
    );
    let target: URL;
    try {
      target = new URL(url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new Error('not http(s)');
    } catch {
      settle({ ok: false, reason: 'not an http(s) URL', retryable: false });
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    // agent: false — one connection per request, closed after it: no idle keep-alive socket
    // outlives the call, and a retry never reuses a connection the server already dropped.
    const length =
      init.body === '' ? {} : { 'content-length': String(Buffer.byteLength(init.body)) };
    req = send(
      target,
      { method: init.method, headers: { ...init.headers, ...length }, agent: false },
      (res) => readAnswer(res, settle),
    );
    req.on('error', (err) => settle(failure(err)));
    req.end(init.body);
  });
}

function readAnswer(res: IncomingMessage, settle: (result: Exchanged) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxAnswerBytes)
      settle({ ok: false, reason: `answer larger than ${maxAnswerBytes} bytes`, retryable: true });
    else chunks.push(chunk);
  });
  res.on('end', () =>
    settle({
      ok: true,
      status: res.statusCode ?? 0,
      headers: headersOf(res),
      text: Buffer.concat(chunks).toString('utf8'),
    }),
  );
  res.on('error', (err) => settle(failure(err)));
  // After 'end' this is a no-op; before it, the connection went away mid-answer.
  res.on('close', () =>
    settle({ ok: false, reason: 'connection closed in the middle of the answer', retryable: true }),
  );
}

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

const seconds = (ms: number) => String(Math.round(ms / 100) / 10);

/** A one-line reason for a socket or name-lookup error; TLS verification failures are final. */
export function failure(err: unknown): Exchanged & { ok: false } {
  const { code, message } = err as { code?: string; message?: string };
  const text = message ?? String(err);
  if (code === 'ECONNRESET' && text === 'socket hang up')
    return { ok: false, reason: 'connection closed before an answer', retryable: true, cause: err };
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connect timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    EPIPE: 'connection closed while sending',
  };
  const known = code && Object.hasOwn(reasons, code) ? reasons[code] : undefined;
  if (known) return { ok: false, reason: `${known} (${code})`, retryable: true, cause: err };
  // A certificate that does not verify will not verify on the next try either.
  const tls = /CERT|SELF_SIGNED|ERR_TLS|ERR_SSL/.test(code ?? '');
  return {
    ok: false,
    reason: code ? `${text} (${code})` : text,
    retryable: !tls,
    cause: err,
  };
}
