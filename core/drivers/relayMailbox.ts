import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type {
  AnswerOutcome,
  RelayAction,
  RelayActionResult,
  RelayActionStore,
} from './relayActions.ts';

/** Looks at the store start this fast and slow down to `maxMs` while nothing changes. */
export interface MailboxPace {
  firstMs: number;
  maxMs: number;
}

/**
 * Another instance's write is seen within `maxMs` plus one read (a Table query takes 10-50 ms):
 * below DESIGN's 250 ms from issue to a polling relay. Writes of this process wake its waiters
 * at once. A waiting relay costs about 7 reads a second.
 */
export const defaultMailboxPace: MailboxPace = { firstMs: 25, maxMs: 150 };

/** A relay that has not polled for this long is `failing` in readiness (DESIGN). */
export const pollSilenceMs = 60_000;
/** A claimed action the relay never got (its poll answer was lost) is handed out again after this. */
export const claimVisibilityMs = 5_000;
/** At most this many actions in one poll answer (each body is at most 16 KiB). */
export const maxActionsPerPoll = 16;

export type Exchange =
  | { kind: 'answered'; result: RelayActionResult }
  /** Nobody answered before `expiresAt`; `deliveries` 0 means no poll ever took it. */
  | { kind: 'no-answer'; deliveries: number; lastPollAt: number | undefined };

/**
 * Pull mode's meeting point of the relay driver (`exchange`) and the relay's two routes
 * (`poll`, `answer`), over the durable `RelayActionStore`. Each side re-reads the store while
 * it waits — fast at first, then every `pace.maxMs` — so it works across instances (the
 * Functions app), and a write of this process wakes its waiters at once (the local host).
 */
export class RelayMailbox {
  private readonly wakers = new Map<string, Set<() => void>>();
  /** The poll each relay holds in this process: a newer one ends it (one held poll per relay). */
  private readonly polls = new Map<string, AbortController>();

  constructor(
    readonly store: RelayActionStore,
    private readonly clock: Clock,
    private readonly pace: MailboxPace = defaultMailboxPace,
  ) {}

  /**
   * The driver's side: stores the action, wakes a poll of this process, then waits for the
   * relay's answer until `action.expiresAt`. An abort rejects with the signal's reason. When it
   * stops waiting, answered or not, the action is withdrawn: a relay that polls later never
   * receives an action Fencer no longer waits for.
   */
  async exchange(action: RelayAction, signal: AbortSignal): Promise<Exchange> {
    await this.store.put(action);
    this.wake(pollTopic(action.relay));
    try {
      const found = await this.until(
        action.expiresAt,
        resultTopic(action.relay, action.requestId),
        async () => (await this.store.get(action.relay, action.requestId))?.result,
        { abort: signal },
      );
      if (found) return { kind: 'answered', result: found };
      const [state, lastPollAt] = await Promise.all([
        this.store.get(action.relay, action.requestId),
        this.store.lastPoll(action.relay),
      ]);
      return { kind: 'no-answer', deliveries: state?.deliveries ?? 0, lastPollAt };
    } finally {
      // Best effort: if this write fails, expiresAt still ends the action's delivery.
      await this.store.withdraw(action.relay, action.requestId).catch(() => {});
    }
  }

  /**
   * The relay's poll: its pending actions as soon as there are any, else none after `waitMs`.
   * A newer poll of the same relay (here or on another instance) ends this one with none, so
   * a relay never holds more than one request.
   */
  async poll(relay: string, waitMs: number): Promise<RelayAction[]> {
    const pollId = randomBytes(9).toString('base64url');
    await this.store.polled(relay, pollId, this.clock.now());
    this.polls.get(relay)?.abort();
    const mine = new AbortController();
    this.polls.set(relay, mine);
    try {
      const found = await this.until(
        this.clock.now() + waitMs,
        pollTopic(relay),
        async () => {
          const { actions, latestPoll } = await this.store.take(
            relay,
            this.clock.now(),
            claimVisibilityMs,
            maxActionsPerPoll,
          );
          if (actions.length > 0) return actions;
          return latestPoll !== undefined && latestPoll !== pollId ? [] : undefined;
        },
        { stop: mine.signal },
      );
      return found ?? [];
    } finally {
      if (this.polls.get(relay) === mine) this.polls.delete(relay);
    }
  }

  /** The relay's answer to one of its actions; wakes the driver waiting for it in this process. */
  async answer(
    relay: string,
    requestId: string,
    result: RelayActionResult,
  ): Promise<AnswerOutcome> {
    const outcome = await this.store.answer(relay, requestId, result, this.clock.now());
    if (outcome === 'stored') this.wake(resultTopic(relay, requestId));
    return outcome;
  }

  lastPoll(relay: string): Promise<number | undefined> {
    return this.store.lastPoll(relay);
  }

  /**
   * Calls `look` until it returns something, `deadline` passes (undefined), `stop` aborts
   * (undefined) or `abort` aborts (rejects). A wake on `topic` during a look or a nap makes
   * the next look happen at once.
   */
  private async until<T>(
    deadline: number,
    topic: string,
    look: () => Promise<T | undefined>,
    signals: { abort?: AbortSignal; stop?: AbortSignal },
  ): Promise<T | undefined> {
    let dirty = false;
    let nap: AbortController | undefined;
    const onWake = () => {
      dirty = true;
      nap?.abort();
    };
    const onSignal = () => nap?.abort();
    const listeners = this.subscribe(topic, onWake);
    signals.abort?.addEventListener('abort', onSignal);
    signals.stop?.addEventListener('abort', onSignal);
    try {
      let delay = this.pace.firstMs;
      for (;;) {
        if (signals.abort?.aborted) throw signals.abort.reason;
        if (signals.stop?.aborted) return undefined;
        dirty = false;
        const found = await look();
        if (found !== undefined) return found;
        const left = deadline - this.clock.now();
        if (left <= 0) return undefined;
        if (dirty || signals.abort?.aborted || signals.stop?.aborted) continue;
        nap = new AbortController();
        await this.clock.sleep(Math.min(delay, left), nap.signal).catch(() => {});
        nap = undefined;
        delay = Math.min(this.pace.maxMs, Math.ceil(delay * 1.6));
      }
    } finally {
      listeners();
      signals.abort?.removeEventListener('abort', onSignal);
      signals.stop?.removeEventListener('abort', onSignal);
    }
  }

  private subscribe(topic: string, wake: () => void): () => void {
    let set = this.wakers.get(topic);
    if (!set) {
      set = new Set();
      this.wakers.set(topic, set);
    }
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.wakers.get(topic) === set) this.wakers.delete(topic);
    };
  }

  private wake(topic: string): void {
    for (const wake of this.wakers.get(topic) ?? []) wake();
  }
}

const pollTopic = (relay: string) => `poll\n${relay}`;
const resultTopic = (relay: string, requestId: string) => `result\n${relay}\n${requestId}`;
