import { type NonceStore, type SignedRequest, verifySignedRequest } from '../core/auth/verify.ts';
import type { Clock } from '../core/clock.ts';
import { fromZodIssues } from '../core/config/issues.ts';
import { ProblemError } from '../core/protocol/problems.ts';
import { relayActionRequest } from '../core/protocol/relay.ts';
import { auditAction, type Logger } from './audit.ts';
import type { RelayRuntimeConfig, ResolvedTarget } from './config.ts';
import type { PowerExecutor } from './executors/types.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { runAction } from './runAction.ts';

export interface ActionContext {
  /** The configuration this request started with; a reload does not change it mid-action. */
  config: RelayRuntimeConfig;
  clock: Clock;
  nonces: NonceStore;
  idempotency: IdempotencyStore;
  logger: Logger;
  executorFor(target: ResolvedTarget): PowerExecutor;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * POST /v1/actions: verify the signature (replays refused), validate the body, look the target
 * up in the allowlist, then run the action once per (key, requestId). Throws ProblemError for
 * everything refused before an action starts.
 */
export async function handleAction(ctx: ActionContext, signed: SignedRequest): Promise<HttpAnswer> {
  const keyId = await verifySignedRequest(signed, {
    nowMs: ctx.clock.now(),
    secretOf: (name) => ctx.config.keys.get(name),
    nonces: ctx.nonces,
  });
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(signed.body).toString('utf8'));
  } catch {
    throw new ProblemError('invalid-request', 'the body is not JSON');
  }
  const parsed = relayActionRequest.safeParse(json);
  if (!parsed.success) {
    const issues = fromZodIssues(parsed.error.issues);
    throw new ProblemError(
      'invalid-request',
      issues.map((i) => `${i.path}: ${i.message}`).join('; '),
      { issues },
    );
  }
  const request = parsed.data;
  const target = ctx.config.targets.get(request.target);
  if (!target) {
    throw new ProblemError(
      'unknown-target',
      `target ${JSON.stringify(request.target)} is not in this relay's targets`,
    );
  }
  const begun = ctx.idempotency.begin(keyId, request, () =>
    runAction(request, ctx.executorFor(target), ctx.clock),
  );
  if (begun.kind === 'conflict') {
    throw new ProblemError(
      'request-conflict',
      `requestId ${request.requestId} was used for ${begun.first.action} ${begun.first.target}`,
    );
  }
  const outcome = await begun.outcome;
  auditAction(ctx.logger, {
    keyId,
    requestId: request.requestId,
    target: request.target,
    action: request.action,
    deadlineMs: request.deadlineMs,
    idempotency: begun.kind,
    outcome,
  });
  const headers: Record<string, string> =
    begun.kind === 'new' ? {} : { 'fencer-idempotent-replay': 'true' };
  return outcome.ok
    ? { status: 200, body: outcome.response, headers }
    : { status: outcome.problem.status, body: outcome.problem, headers };
}
