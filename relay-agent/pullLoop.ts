import { createHash, randomInt } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import { type Problem, ProblemError, problem } from '../core/protocol/problems.ts';
import type { PulledAction } from '../core/protocol/relay.ts';
import type { ActionService } from './actionService.ts';
import type { HttpAnswer } from './actions.ts';
import type { Logger } from './audit.ts';
import type { RelayRuntimeConfig } from './config.ts';
import { truncate } from './logLimiter.ts';
import { PullClient, PullError } from './pullClient.ts';
import { ResultPoster } from './resultPoster.ts';

/** Each long-poll asks Fencer to hold it this long (DESIGN: 0-25). */
export const longPollSeconds = 25;

/** Reconnect backoff: doubling from `baseMs` up to `maxMs`, each wait jittered down to half. */
export interface PullBackoff {
  baseMs: number;
  maxMs: number;
}
export const defaultPullBackoff: PullBackoff = { baseMs: 500, maxMs: 15_000 };

export interface PullLoopDeps {
  clock: Clock;
  logger: Logger;
  service: ActionService;
  backoff?: PullBackoff;
}

/**
 * Pull mode at the site: polls Fencer in a loop, hands every action in an answer to the same
 * handler a push-mode request reaches (signature, replay, deadline, allowlist, idempotency),
 * runs it, and posts the answer back. Polling goes on while actions run. After a failure it
 * reconnects with backoff and jitter, for ever (Fencer restarts, network cuts); the log says
 * `polling URL` once connected and again after every reconnect, and each loss of connection.
 */
export class PullLoop {
  private client: PullClient;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly results: ResultPoster;
  private loop: Promise<void> | undefined;
  private connected = false;

  constructor(
    private config: RelayRuntimeConfig,
    private readonly deps: PullLoopDeps,
  ) {
    this.client = this.clientOf(config);
    this.results = new ResultPoster(deps.clock, deps.logger);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** A new pull url, key or CA takes effect at the next poll. */
  reload(next: RelayRuntimeConfig): void {
    this.deps.service.reload(next);
    const before = this.config.pull;
    this.config = next;
    const after = next.pull;
    if (
      after &&
      (before?.url !== after.url || before.secret !== after.secret || before.ca !== after.ca)
    ) {
      this.client.close();
      this.client = this.clientOf(next);
    }
  }

  /** Stops polling at once, waits for running actions and their result posts, then returns. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('stopping'));
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.client.close();
  }

  private clientOf(config: RelayRuntimeConfig): PullClient {
    if (!config.pull) throw new Error('relay.yaml has no pull: nothing to poll');
    return new PullClient(config.pull, this.deps.clock);
  }

  private async run(): Promise<void> {
    const { logger, clock } = this.deps;
    const backoff = this.deps.backoff ?? defaultPullBackoff;
    let failed = 0;
    let lastError = '';
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const client = this.client;
      try {
        // The first poll after (re)connecting returns at once: it proves the way and the key.
        const actions = await client.poll(this.connected ? longPollSeconds : 0, signal);
        if (!this.connected) {
          this.connected = true;
          logger.info({ url: client.url, after: failed }, `polling ${client.url}`);
        }
        failed = 0;
        for (const action of actions) this.track(this.handle(action, client));
      } catch (err) {
        if (signal.aborted) break;
        failed++;
        const waitMs = reconnectDelayMs(failed, backoff);
        const fields = {
          url: client.url,
          err: errorMessage(err),
          ...(err instanceof PullError && err.code ? { code: err.code } : {}),
          retryInMs: waitMs,
          failures: failed,
        };
        const message = `cannot poll ${client.url}: ${truncate(errorMessage(err), 300)}; retrying in ${waitMs} ms`;
        // State changes are logged (connection lost, another error); an outage that goes on
        // is a line at the 1st, 2nd, 4th, 8th, ... failure, not one per retry.
        const milestone = (failed & (failed - 1)) === 0;
        if (this.connected || fields.err !== lastError || milestone) logger.warn(fields, message);
        lastError = fields.err;
        this.connected = false;
        await clock.sleep(waitMs, signal).catch(() => {});
      }
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * One action of a poll answer, judged exactly like `POST /v1/actions` with these headers
   * and this body. A refusal is an answer too (posted back as `{requestId, status, problem}`).
   * A redelivery of an action this relay already took (Fencer hands a claim out again when it
   * cannot know the first poll answer arrived) is refused as `replayed` by the nonce store:
   * it is not run again, and its first answer is posted (again) once there is one.
   */
  private async handle(action: PulledAction, client: PullClient): Promise<void> {
    const requestId = requestIdOf(action.body);
    // The exact signed bytes: a tampered copy (same nonce, other body) is another action.
    const identity = createHash('sha256')
      .update(`${action.headers['X-Fencer-Nonce']}\n${action.headers['X-Fencer-Signature']}\n`)
      .update(action.body)
      .digest('hex');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(action.headers))
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    const signed = {
      method: 'POST',
      pathWithQuery: '/v1/actions',
      headers,
      body: Buffer.from(action.body, 'utf8'),
    };
    const first = this.results.begin(identity);
    let answer: HttpAnswer;
    try {
      answer = await this.deps.service.handle(signed);
    } catch (err) {
      const refused = err instanceof ProblemError ? err.problem : internal(err, this.deps.logger);
      if (refused.code === 'replayed' && !first.isNew) {
        // The same signed bytes again (Fencer handing out a claim whose answer it lacks, or a
        // replay): never run twice; the first handling's answer is posted once there is one.
        this.deps.logger.info(
          { refused: 'replayed', requestId, via: 'pull' },
          'a repeat of an action this relay already took: not run again',
        );
        await this.results.repost(identity, client);
        return;
      }
      this.deps.logger.warn(
        { refused: refused.code, requestId, via: 'pull' },
        truncate(`action refused: ${refused.detail}`, 512),
      );
      answer = { status: refused.status, body: refused };
    }
    if (!requestId) {
      this.deps.logger.warn(
        { via: 'pull' },
        'an action without a readable requestId: no answer can be posted',
      );
      first.settle(undefined);
      return;
    }
    const body =
      answer.status === 200
        ? JSON.stringify(answer.body)
        : JSON.stringify({ requestId, status: answer.status, problem: answer.body });
    first.settle(body);
    await this.results.post(body, requestId, deadlineOf(action.body), client);
  }
}

/**
 * The wait before reconnect attempt `failures` (1-based): doubling from `baseMs` up to `maxMs`,
 * then a random point in its upper half, so relays cut off together do not return together.
 */
export function reconnectDelayMs(
  failures: number,
  backoff: PullBackoff,
  random: (below: number) => number = randomInt,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(failures - 1, 20));
  const half = Math.ceil(ceiling / 2);
  return half + random(ceiling - half + 1);
}

/** The requestId of an action body, when it is readable (a tampered one may not be). */
function requestIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { requestId?: unknown }).requestId;
    return typeof id === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

function deadlineOf(body: string): number {
  try {
    const ms = (JSON.parse(body) as { deadlineMs?: unknown }).deadlineMs;
    return typeof ms === 'number' && ms > 0 ? Math.min(ms, 600_000) : 30_000;
  } catch {
    return 30_000;
  }
}

function internal(err: unknown, logger: Logger): Problem {
  logger.error({ err }, 'unexpected error while handling a pulled action');
  return problem('internal-error', 'unexpected error; see the relay log');
}
