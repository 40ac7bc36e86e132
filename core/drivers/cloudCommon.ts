import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { resolvePath } from '../config/secrets.ts';
import { DriverError } from '../errors.ts';

/**
 * Helpers shared by the azure-vm and aws-ec2 drivers. No SDK is imported here: this file is
 * loaded with either driver and must not pull in the other cloud's SDK.
 */

/**
 * The system CAs plus the configured one: `ca` adds trust for a private endpoint, it must not
 * take trust away from the public endpoints (Entra, STS) the same device may still use.
 */
export async function readTrustedCas(
  ca: string | undefined,
  baseDir: string,
  description: string,
): Promise<string[] | undefined> {
  if (ca === undefined) return undefined;
  const file = resolvePath(ca, baseDir);
  try {
    return [...rootCertificates, await readFile(file, 'utf8')];
  } catch (err) {
    throw new DriverError(
      'config-invalid',
      `${description}: cannot read ca ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      { cause: err },
    );
  }
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts. Credential look-ups inside the
 * SDKs (token endpoints, STS) do not all honour the caller's signal; the driver must never run
 * past the level's deadline because of them. The abandoned call finishes in the background.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody waits for the abandoned call: its rejection must not be an unhandled one.
    promise.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  const err = new Error(`aborted: ${reason}`, { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}

/**
 * A Retry-After value (delta seconds or an HTTP date) in milliseconds from `now`; undefined
 * when absent or unreadable. Negative waits become 0.
 */
export function parseRetryAfter(value: string | undefined | null, now: number): number | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Network failures below HTTP that are worth a retry (connection refused/reset, DNS, timeouts). */
export const transientNetworkCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** TLS verification failures: a retry cannot help, the `ca` option or the endpoint is wrong. */
export function isTlsTrustError(code: string | undefined): boolean {
  return (
    code !== undefined &&
    /^(CERT_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_CERT|HOSTNAME_MISMATCH)/.test(
      code,
    )
  );
}
