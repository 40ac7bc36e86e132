import { type DestinationStream, type Logger, pino } from 'pino';
import type { ActionOutcome } from './runAction.ts';

export type { Logger } from 'pino';

/**
 * The relay's JSON-lines logger (one line per action is the audit trail). Commands in steps are
 * already redacted where they are built (runner.ts `redact`); the paths below are a second net
 * for fields that should never carry a value at all.
 */
export function createRelayLogger(destination?: DestinationStream, level = 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'fencer-relay', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          'secret',
          'key',
          '*.password',
          '*.secret',
          'headers["x-fencer-signature"]',
          'env.IPMI_PASSWORD',
          'env.VI_PASSWORD',
          'env.IPMI_KGKEY',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export interface AuditEntry {
  keyId: string;
  requestId: string;
  target: string;
  action: string;
  deadlineMs: number;
  /** `new`: acted; `joined` / `replayed`: answered from the first request of this requestId. */
  idempotency: 'new' | 'joined' | 'replayed';
  outcome: ActionOutcome;
}

/** One JSON line per action: who asked, what, how it went, every step, how long it took. */
export function auditAction(logger: Logger, entry: AuditEntry): void {
  const { outcome } = entry;
  const fields = {
    audit: 'action',
    keyId: entry.keyId,
    requestId: entry.requestId,
    target: entry.target,
    action: entry.action,
    deadlineMs: entry.deadlineMs,
    idempotency: entry.idempotency,
    ...(outcome.ok
      ? {
          result: 'answered',
          powerState: outcome.response.powerState,
          verified: outcome.response.verified,
          elapsedMs: outcome.response.elapsedMs,
          steps: entry.idempotency === 'new' ? outcome.response.steps : [],
        }
      : {
          result: outcome.problem.code,
          detail: outcome.problem.detail,
          retryable: outcome.problem['retryable'],
          elapsedMs: outcome.problem['elapsedMs'],
          steps: entry.idempotency === 'new' ? outcome.problem['steps'] : [],
        }),
  };
  const verified = outcome.ok && outcome.response.verified;
  const message = `${entry.action} ${entry.target}: ${outcome.ok ? `${outcome.response.powerState}${verified ? ' (verified)' : ' (not verified)'}` : outcome.problem.code}`;
  if (outcome.ok && (verified || entry.action === 'status')) logger.info(fields, message);
  else logger.warn(fields, message);
}
