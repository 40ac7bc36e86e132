import { type NonceStore, type SignedRequest, verifySignedRequest } from '../core/auth/verify.ts';
import { type Clock, timeoutSignal } from '../core/clock.ts';
import { fromZodIssues } from '../core/config/issues.ts';
import { ProblemError, problem } from '../core/protocol/problems.ts';
import { type RelayActionRequest, relayActionRequest } from '../core/protocol/relay.ts';
import { auditAction, type Logger } from './audit.ts';
import type { RelayRuntimeConfig, ResolvedTarget } from './config.ts';
import type { PowerExecutor } from './executors/types.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { type ActionOutcome, answerMarginMs, pacing, runAction } from './runAction.ts';
import { type ActionScheduler, deviceOf, NotStartedError } from './scheduler.ts';

export interface ActionContext {
  /** The configuration this request started with; a reload does not change it mid-action. */
  config: RelayRuntimeConfig;
  clock: Clock;
  nonces: NonceStore;
  idempotency: IdempotencyStore;
  scheduler: ActionScheduler;
  logger: Logger;
  executorFor(target: ResolvedTarget): PowerExecutor | Promise<PowerExecutor>;
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
  // Admission: a new action past the cap is refused before it is remembered, so a retry of
  // the same requestId is judged afresh. (A repeat of a known one joins it, whatever the load.)
  if (!ctx.idempotency.knows(keyId, request.requestId) && ctx.scheduler.isFull()) {
    const { running, waiting } = ctx.scheduler.load();
    throw new ProblemError(
      'unavailable',
      `the relay has ${running + waiting} actions in flight (limits.maxQueuedActions); retry shortly`,
      { retryable: true, retryAfter: 1 },
    );
  }
  const arrivedAt = ctx.clock.now();
  const begun = ctx.idempotency.begin(keyId, request, () =>
    scheduleAction(ctx, request, target, arrivedAt),
  );
  if (begun.kind === 'full') {
    throw new ProblemError(
      'unavailable',
      'the relay keeps the answers of the last 10 minutes and has no room for another; retry shortly',
      { retryable: true, retryAfter: 1 },
    );
  }
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

/**
 * Queues the action behind earlier ones on the same device (scheduler.ts). An action whose
 * deadline passes while it waits is answered 504 and never started: its caller has moved on.
 */
async function scheduleAction(
  ctx: ActionContext,
  request: RelayActionRequest,
  target: ResolvedTarget,
  arrivedAt: number,
): Promise<ActionOutcome> {
  const device = deviceOf(target);
  const ahead = ctx.scheduler.ahead(device);
  if (ahead > 0) {
    ctx.logger.info(
      { requestId: request.requestId, target: request.target, ahead },
      `${request.action} ${request.target}: queued behind ${ahead} action(s) on its device`,
    );
  }
  const waitMs = request.deadlineMs - answerMarginMs(request.deadlineMs) - pacing.minCallMs;
  const wait = timeoutSignal(ctx.clock, Math.max(0, waitMs));
  try {
    return await ctx.scheduler.submit(
      device,
      async () => {
        wait.cancel();
        return runAction(request, await ctx.executorFor(target), ctx.clock, arrivedAt);
      },
      wait.signal,
    );
  } catch (err) {
    if (!(err instanceof NotStartedError)) throw err;
    const elapsedMs = ctx.clock.now() - arrivedAt;
    return {
      ok: false,
      problem: problem(
        'deadline-exceeded',
        `not started within ${request.deadlineMs} ms: waited ${elapsedMs} ms behind earlier actions (on its device, or for one of limits.maxRunningActions)`,
        {
          requestId: request.requestId,
          target: request.target,
          action: request.action,
          elapsedMs,
          steps: [],
          retryable: true,
        },
      ),
    };
  } finally {
    wait.cancel();
  }
}
