import { FencerError } from '../core/errors.ts';

/**
 * Why one call to a power device failed. `retryable` tells the action loop whether another
 * try before the deadline can help (busy, timeout, unreachable) or not (auth, not found).
 */
export type ExecErrorCode =
  | 'busy'
  | 'timeout'
  | 'unreachable'
  | 'auth'
  | 'not-found'
  | 'not-installed'
  | 'unsupported'
  | 'protocol'
  /** The relay itself is out of file descriptors, processes or memory: the caller retries. */
  | 'resources'
  | 'failed';

const retryableCodes: ReadonlySet<ExecErrorCode> = new Set([
  'busy',
  'timeout',
  'unreachable',
  'resources',
  'failed',
]);

/** errno codes of a relay that ran out of something: not the device's fault, gone later. */
export const resourceErrnos: ReadonlySet<string> = new Set([
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'ENOMEM',
]);

export class ExecError extends FencerError {
  declare readonly code: ExecErrorCode;
  constructor(
    code: ExecErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, {
      retryable: options.retryable ?? retryableCodes.has(code),
      cause: options.cause,
    });
    this.name = 'ExecError';
  }
}

export function isExecError(err: unknown): err is ExecError {
  return err instanceof ExecError;
}
