import { isAxiosError } from 'axios';
import { DriverError, errorMessage } from '../errors.ts';
import type { RelayActionRequest, RelayActionResponse } from '../protocol/relay.ts';

/** The problem codes a retry cannot fix: the request or the configuration is wrong. */
const permanent = new Set([
  'unauthenticated',
  'forbidden',
  'unknown-target',
  'not-found',
  'invalid-request',
  'request-conflict',
  'payload-too-large',
  'method-not-allowed',
]);

/**
 * A relay answer: the action result on 200, else a DriverError saying whether a retry can help.
 * A 200 must answer the request that was sent (requestId, target and action echoed): an answer
 * to another request says nothing about this target. A status read the relay did not verify is
 * `unknown`, whatever state it names.
 */
export function parseAnswer(
  label: string,
  response: { status: number; data: unknown; headers: Record<string, unknown> },
  sent: RelayActionRequest,
): RelayActionResponse {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(String(response.data ?? '')) as Record<string, unknown>;
  } catch {
    // A proxy's HTML error page, or an empty answer: judged by the status below.
  }
  if (response.status === 200) {
    const state = body['powerState'];
    if (
      typeof body['verified'] !== 'boolean' ||
      (state !== 'on' && state !== 'off' && state !== 'unknown')
    ) {
      const message = `${label}: the relay's answer is not an action result`;
      throw new DriverError('relay-protocol', message, { retryable: true });
    }
    const echoed = (['requestId', 'target', 'action'] as const).filter(
      (field) => body[field] !== sent[field],
    );
    if (echoed.length > 0) {
      const message = `${label}: the relay answered another request (${echoed.map((f) => `${f} ${JSON.stringify(body[f])}`).join(', ')})`;
      throw new DriverError('relay-protocol', message, { retryable: true });
    }
    const answer = body as unknown as RelayActionResponse;
    if (typeof answer.detail !== 'string') delete answer.detail;
    if (sent.action === 'status' && !answer.verified) answer.powerState = 'unknown';
    return answer;
  }
  const code = typeof body['code'] === 'string' ? body['code'] : `http-${response.status}`;
  const detail = typeof body['detail'] === 'string' ? body['detail'] : `HTTP ${response.status}`;
  const retryAfter = Number(response.headers['retry-after']);
  // The relay says whether a retry can help (e.g. execution-failed for a wrong BMC password).
  const retryable =
    typeof body['retryable'] === 'boolean'
      ? body['retryable']
      : !permanent.has(code) &&
        (response.status >= 500 || response.status === 429 || code === 'replayed');
  throw new DriverError(`relay-${code}`, `${label}: ${code}: ${detail}`, {
    retryable,
    ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
  });
}

const tlsCodes =
  /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|EPROTO/;

/** A request that got no answer: TLS trouble is permanent, a timeout or refusal retryable. */
export function transportError(label: string, err: unknown): DriverError {
  const code = isAxiosError(err) ? (err.code ?? '') : '';
  const message = `${label}: ${errorMessage(err)}`;
  if (tlsCodes.test(code)) {
    return new DriverError('relay-tls', `${message} (is relays.<name>.ca the relay's CA?)`, {
      cause: err,
    });
  }
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED') {
    return new DriverError('relay-timeout', message, { retryable: true, cause: err });
  }
  return new DriverError('relay-unreachable', message, { retryable: true, cause: err });
}
