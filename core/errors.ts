/**
 * Typed errors with a stable `code` and a `retryable` flag. Callers branch on these, never on
 * messages; vendor errors are translated into them at the driver boundary.
 */
export class FencerError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'FencerError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** A fence driver failed. `retryAfterMs` carries a server's Retry-After / throttling hint. */
export class DriverError extends FencerError {
  readonly retryAfterMs: number | undefined;
  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'DriverError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The ledger lost an ETag race too many times, or storage failed; retry the whole request. */
export class LedgerError extends FencerError {
  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'LedgerError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
