import { MemoryNonceStore, type SignedRequest } from '../core/auth/verify.ts';
import type { Clock } from '../core/clock.ts';
import { type ActionContext, type HttpAnswer, handleAction } from './actions.ts';
import type { Logger } from './audit.ts';
import type { RelayRuntimeConfig, ResolvedTarget } from './config.ts';
import { createExecutor, preloadExecutors } from './executors/createExecutor.ts';
import type { PowerExecutor } from './executors/types.ts';
import { IdempotencyStore } from './idempotency.ts';
import type { ActionOutcome } from './runAction.ts';
import type { Runner } from './runner.ts';
import { ActionScheduler } from './scheduler.ts';

export interface ActionServiceDeps {
  clock: Clock;
  runner: Runner;
  logger: Logger;
  /** Base environment of child processes (PATH, locale); see ExecutorDeps.childEnv. */
  childEnv: Readonly<Record<string, string>>;
  /** Tests may hand in fake executors; by default they are built from the target's config. */
  executorFor?: (target: ResolvedTarget) => PowerExecutor | Promise<PowerExecutor>;
}

/**
 * What acts on a signed action, however it arrived — over the relay's HTTPS listener (push) or
 * in a poll answer (pull): one nonce store (replays refused across both), one idempotency
 * store, one scheduler (one action at a time per device, a bound on all of them).
 */
export class ActionService {
  private config: RelayRuntimeConfig;
  private readonly nonces: MemoryNonceStore;
  private readonly idempotency: IdempotencyStore;
  readonly scheduler: ActionScheduler;

  constructor(
    config: RelayRuntimeConfig,
    private readonly deps: ActionServiceDeps,
  ) {
    this.config = config;
    this.nonces = new MemoryNonceStore(() => deps.clock.now());
    this.idempotency = new IdempotencyStore(deps.clock, config.idempotencyMs);
    this.scheduler = new ActionScheduler(config.limits);
    this.preload(config);
  }

  reload(next: RelayRuntimeConfig): void {
    this.preload(next);
    this.idempotency.setTtl(next.idempotencyMs);
    this.scheduler.setLimits(next.limits);
    this.config = next;
  }

  /**
   * `POST /v1/actions` semantics (actions.ts `handleAction`) with the configuration this action
   * starts with: a reload never changes an action in flight. Throws ProblemError for refusals.
   */
  handle(signed: SignedRequest): Promise<HttpAnswer> {
    return handleAction(this.context(), signed);
  }

  /** Actions still running (for a graceful stop). */
  running(): Promise<ActionOutcome>[] {
    return this.idempotency.running();
  }

  /** The executors of the configured kinds, loaded now rather than on the first action. */
  private preload(config: RelayRuntimeConfig): void {
    if (this.deps.executorFor) return;
    preloadExecutors(config.targets.values()).catch((err: unknown) =>
      this.deps.logger.error({ err }, 'cannot load an executor module'),
    );
  }

  private context(): ActionContext {
    const { deps } = this;
    return {
      config: this.config,
      clock: deps.clock,
      nonces: this.nonces,
      idempotency: this.idempotency,
      scheduler: this.scheduler,
      logger: deps.logger,
      executorFor:
        deps.executorFor ??
        ((target) =>
          createExecutor(target, {
            runner: deps.runner,
            clock: deps.clock,
            childEnv: deps.childEnv,
          })),
    };
  }
}
