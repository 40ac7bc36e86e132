import type { Clock } from '../core/clock.ts';
import type { ActionOutcome } from './runAction.ts';

/** How a request related to what the store already knew about its requestId. */
export type IdempotencyResult =
  | { kind: 'new'; outcome: Promise<ActionOutcome> }
  /** The first request is still running; this one waits for the same outcome. */
  | { kind: 'joined'; outcome: Promise<ActionOutcome> }
  /** The first request finished; its outcome is answered again, nothing is run. */
  | { kind: 'replayed'; outcome: Promise<ActionOutcome> }
  /** The requestId was used for another target or action: refused (409 request-conflict). */
  | { kind: 'conflict'; first: { target: string; action: string } };

interface Entry {
  target: string;
  action: string;
  outcome: Promise<ActionOutcome>;
  /** Unset while running. Expiry is derived from it and the clock, never stored. */
  completedAt?: number;
}

/**
 * Remembers every action by (key, requestId), in memory: the relay is a single process, and
 * after a restart a repeated requestId acting again is safe (power-off is idempotent at the
 * device; the engine verifies with fresh status reads anyway).
 *
 * Timeline of one requestId:
 *   t0          first request → entry {running}; the action starts
 *   t0..t1      same requestId (the caller's HTTP timeout fired and it retried, or a queue
 *               redelivery) → joins the running action: the device is commanded once
 *   t1          action ends → entry {completedAt: t1}
 *   t1..t1+ttl  same requestId → the first outcome again; other target/action → conflict
 *   ≥ t1+ttl    expired: the requestId is new again
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private ttlMs: number,
  ) {}

  setTtl(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  begin(
    keyId: string,
    request: { requestId: string; target: string; action: string },
    start: () => Promise<ActionOutcome>,
  ): IdempotencyResult {
    const key = `${keyId}\n${request.requestId}`;
    const now = this.clock.now();
    if (this.entries.size > 1000) this.sweep(now);
    const existing = this.entries.get(key);
    if (existing && !this.expired(existing, now)) {
      if (existing.target !== request.target || existing.action !== request.action) {
        return { kind: 'conflict', first: { target: existing.target, action: existing.action } };
      }
      const kind = existing.completedAt === undefined ? 'joined' : 'replayed';
      return { kind, outcome: existing.outcome };
    }
    const entry: Entry = {
      target: request.target,
      action: request.action,
      outcome: Promise.resolve().then(start),
    };
    entry.outcome = entry.outcome.finally(() => {
      entry.completedAt = this.clock.now();
    });
    this.entries.set(key, entry);
    return { kind: 'new', outcome: entry.outcome };
  }

  /** True when this requestId has an entry (running or finished, not expired). */
  knows(keyId: string, requestId: string): boolean {
    const entry = this.entries.get(`${keyId}\n${requestId}`);
    return entry !== undefined && !this.expired(entry, this.clock.now());
  }

  /** Actions still running (for a graceful stop). */
  running(): Promise<ActionOutcome>[] {
    return [...this.entries.values()]
      .filter((e) => e.completedAt === undefined)
      .map((e) => e.outcome);
  }

  private expired(entry: Entry, now: number): boolean {
    return entry.completedAt !== undefined && now >= entry.completedAt + this.ttlMs;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (this.expired(entry, now)) this.entries.delete(key);
  }
}
