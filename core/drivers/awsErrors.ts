import { DriverError, FencerError } from '../errors.ts';
import { isTlsTrustError, transientNetworkCodes } from './cloudCommon.ts';

/** The fields of the AWS SDK's ServiceException (and Node's network errors) we read. */
interface AwsErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/**
 * EC2 sends no Retry-After: the AWS guidance is to back off from about a second, which is what
 * the SDK's own throttling retry would do. The engine gets it as the hint.
 */
export const awsThrottleRetryAfterMs = 1000;

const throttlingCodes = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
]);

/** Credentials refused or not allowed: retrying with the same credentials cannot help. */
const authCodes = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'AccessDenied',
  'AccessDeniedException',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'InvalidIdentityToken',
  'InvalidIdentityTokenException',
  'IDPRejectedClaim',
  'IDPRejectedClaimException',
  'RegionDisabledException',
  'OptInRequired',
  'Blocked',
  'UnrecognizedClientException',
]);

const serverCodes = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
]);

/**
 * Translates what the AWS SDK throws into a DriverError whose message names the device and the
 * operation and carries EC2's error code (e.g. `UnauthorizedOperation`). Retryable: throttling
 * (with a Retry-After hint), 5xx, IncorrectInstanceState (a pending instance becomes stoppable),
 * network faults. Not retryable: auth, permission, unknown instance, TLS trust, other 4xx.
 */
export function awsDriverError(err: unknown, subject: string): DriverError {
  if (err instanceof DriverError) return err;
  if (err instanceof FencerError) {
    // e.g. secret-missing: a static key's env variable or file is not there.
    return new DriverError(err.code, `${subject}: ${err.message}`, {
      retryable: err.retryable,
      cause: err,
    });
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = firstLine(e.message ?? String(err));
  const text = `${subject}: ${name}${status ? ` (HTTP ${status})` : ''}: ${message}`;
  const make = (code: string, retryable: boolean, retryAfterMs?: number) =>
    new DriverError(code, text, {
      retryable,
      cause: err,
      ...(retryAfterMs ? { retryAfterMs } : {}),
    });

  if (name === 'AbortError') return make('aborted', false);
  if (name === 'CredentialsProviderError') return make('credential-unavailable', false);
  if (throttlingCodes.has(name) || e.$retryable?.throttling || status === 429) {
    return make('throttled', true, awsThrottleRetryAfterMs);
  }
  if (authCodes.has(name) || status === 401) return make('unauthorized', false);
  if (name.startsWith('InvalidInstanceID.')) return make('not-found', false);
  if (name === 'IncorrectInstanceState')
    return make('incorrect-state', true, awsThrottleRetryAfterMs);
  if (serverCodes.has(name) || (status !== undefined && status >= 500) || e.$fault === 'server') {
    return make('unavailable', true);
  }
  if (status !== undefined && status >= 400) return make('rejected', false);
  if (isTlsTrustError(e.code)) return make('tls-untrusted', false);
  if (e.code !== undefined && transientNetworkCodes.has(e.code)) return make('unreachable', true);
  if (transientNetworkCodes.has(name) || name === 'TimeoutError') return make('unreachable', true);
  return make('aws-error', false);
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/** Thrown when the answer misses what was asked for; never read as success. */
export function missingInstance(subject: string, instanceId: string): DriverError {
  return new DriverError(
    'bad-response',
    `${subject}: the answer does not list ${instanceId} (empty or truncated response)`,
    { retryable: true },
  );
}
