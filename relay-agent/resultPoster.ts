import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from './audit.ts';
import { type PullClient, PullError } from './pullClient.ts';

interface Handled {
  at: number;
  settled: boolean;
  /** The result body posted for it (undefined: none could be, e.g. no readable requestId). */
  body?: string;
}

/** Handled actions are remembered this long: past the signature window, a replay is refused anyway. */
const rememberMs = 15 * 60_000;

/**
 * Posts pull-mode results to Fencer, retrying until the action's own deadline has passed (a
 * later answer finds no driver waiting), and remembers which signed actions (by their exact
 * signed bytes) this process handled, so a redelivered one is answered from the first handling.
 */
export class ResultPoster {
  private readonly handled = new Map<string, Handled>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Registers the handling of one signed action; `isNew` false if the same bytes came before. */
  begin(identity: string): { isNew: boolean; settle(body: string | undefined): void } {
    const now = this.clock.now();
    if (this.handled.size > 2000) {
      for (const [key, entry] of this.handled)
        if (now - entry.at > rememberMs) this.handled.delete(key);
    }
    if (this.handled.has(identity)) return { isNew: false, settle: () => {} };
    const entry: Handled = { at: now, settled: false };
    this.handled.set(identity, entry);
    return {
      isNew: true,
      settle: (body) => {
        entry.settled = true;
        if (body !== undefined) entry.body = body;
      },
    };
  }

  /** A redelivery: the first handling's result again once it exists (still running: it posts). */
  async repost(identity: string, client: PullClient): Promise<void> {
    const entry = this.handled.get(identity);
    if (!entry?.settled || entry.body === undefined) return;
    await this.post(entry.body, 'redelivered', 10_000, client);
  }

  /**
   * Posts with retries (a network cut, Fencer restarting) until `deadlineMs` from now (at least
   * 10 s): by then the driver that waited for it has given up.
   */
  async post(
    body: string,
    requestId: string,
    deadlineMs: number,
    client: PullClient,
  ): Promise<void> {
    const until = this.clock.now() + Math.max(deadlineMs, 10_000);
    for (let attempt = 0; ; attempt++) {
      try {
        // Not tied to the loop's stop: a stopping relay still delivers the answers it owes.
        if (await client.postResult(body)) return;
        this.logger.info({ requestId }, `Fencer no longer waits for the answer to ${requestId}`);
        return;
      } catch (err) {
        const status = err instanceof PullError ? err.status : undefined;
        const retryable = status === undefined || status >= 500 || status === 429;
        const waitMs = Math.min(4_000, 250 * 2 ** attempt);
        if (!retryable || this.clock.now() + waitMs > until) {
          this.logger.error(
            { requestId, err: errorMessage(err), ...(status ? { status } : {}) },
            `could not post the answer to ${requestId}: ${errorMessage(err)}`,
          );
          return;
        }
        await this.clock.sleep(waitMs);
      }
    }
  }
}
