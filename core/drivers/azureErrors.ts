import { DriverError, FencerError } from '../errors.ts';
import { isTlsTrustError, parseRetryAfter, transientNetworkCodes } from './cloudCommon.ts';

/** The fields of @azure/core-rest-pipeline's RestError and @azure/identity's errors we read. */
interface AzureErrorShape {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
  errorResponse?: { error?: string; errorDescription?: string };
  errors?: unknown[];
}

/**
 * Translates what the Azure SDKs throw into a DriverError. The message names the device and the
 * operation and carries the vendor's error code (e.g. `AuthorizationFailed`, `invalid_client`),
 * so an incident's attempt detail says what Azure said. Retryable: throttling (429, with its
 * Retry-After), 5xx, conflicts with another operation, network faults. Not retryable: auth,
 * permission, not found, TLS trust, other 4xx.
 */
export function azureDriverError(err: unknown, subject: string, now: number): DriverError {
  if (err instanceof DriverError) return err;
  if (err instanceof FencerError) {
    // e.g. secret-missing: the client secret's env variable or file is not there.
    return new DriverError(err.code, `${subject}: ${err.message}`, {
      retryable: err.retryable,
      cause: err,
    });
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as AzureErrorShape;
  const message = firstLine(e.message ?? String(err));
  const status = e.statusCode;

  if (e.name === 'AbortError') {
    return new DriverError('aborted', `${subject}: ${message}`, { cause: err });
  }
  if (e.name === 'CredentialUnavailableError' || e.name === 'AggregateAuthenticationError') {
    // MSAL could not fetch the authority's OpenID metadata: a network fault (or an untrusted
    // certificate), unlike a credential chain that has nothing to offer.
    const unreachable = message.startsWith('endpoints_resolution_error');
    return new DriverError(
      unreachable ? 'unreachable' : 'credential-unavailable',
      `${subject}: ${e.name}: ${message}`,
      { retryable: unreachable, cause: err },
    );
  }
  if (e.name === 'AuthenticationError') {
    const code = e.errorResponse?.error ?? 'AuthenticationError';
    const detail = firstLine(e.errorResponse?.errorDescription ?? message);
    const transient = status === undefined || status === 429 || status >= 500;
    return new DriverError(
      transient ? 'unavailable' : 'unauthorized',
      `${subject}: token request failed: ${code}${status ? ` (HTTP ${status})` : ''}: ${detail}`,
      { retryable: transient, cause: err },
    );
  }
  if (e.name === 'AuthenticationRequiredError') {
    // @azure/identity folds MSAL's token errors into this one class; only the message keeps
    // MSAL's error code (`invalid_client: …`, `network_error: …`), so it is read from there.
    const code = /^([a-z_]+):/.exec(message)?.[1] ?? 'AuthenticationRequiredError';
    const transient = transientOAuthCodes.has(code);
    return new DriverError(
      transient ? 'unavailable' : 'unauthorized',
      `${subject}: token request failed: ${message}`,
      { retryable: transient, cause: err },
    );
  }
  const headers = e.response?.headers;
  const retryAfterMs =
    retryAfterMsHeader(headers) ?? parseRetryAfter(headers?.get('retry-after'), now);
  const code = e.code ?? (status ? `HTTP${status}` : 'error');
  const text = `${subject}: ${code}${status ? ` (HTTP ${status})` : ''}: ${message}`;
  const make = (driverCode: string, retryable: boolean) =>
    new DriverError(driverCode, text, { retryable, retryAfterMs, cause: safeCause(err) });

  if (status === 429) return make('throttled', true);
  if (status === 401 || status === 403) return make('unauthorized', false);
  if (status === 404) return make('not-found', false);
  // 409: another operation on the VM is still running (OperationNotAllowed / Conflict).
  if (status === 409 || status === 408) return make('conflict', true);
  if (status !== undefined && status >= 500) return make('unavailable', true);
  if (status !== undefined) return make('rejected', false);
  if (isTlsTrustError(e.code)) return make('tls-untrusted', false);
  if (e.code !== undefined && transientNetworkCodes.has(e.code)) return make('unreachable', true);
  return make('azure-error', false);
}

/** MSAL/OAuth error codes that a later attempt may not see again. */
const transientOAuthCodes = new Set([
  'temporarily_unavailable',
  'server_error',
  'network_error',
  'request_timeout',
]);

/**
 * A RestError carries the request it failed on, bearer token included; an error cause may end up
 * in a log, so only the safe fields are kept.
 */
function safeCause(err: unknown): unknown {
  if (typeof err !== 'object' || err === null || !('request' in err)) return err;
  const e = err as AzureErrorShape;
  return Object.assign(new Error(e.message), {
    name: e.name,
    code: e.code,
    statusCode: e.statusCode,
  });
}

/** ARM's millisecond hints, more precise than Retry-After when present. */
function retryAfterMsHeader(
  headers: { get(name: string): string | undefined } | undefined,
): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = headers?.get(name);
    if (value !== undefined && /^\d+$/.test(value.trim())) return Number(value.trim());
  }
  return undefined;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
