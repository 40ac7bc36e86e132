import { maxSkewSeconds } from '../core/auth/signing.ts';
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
  | { kind: 'conflict'; first: { target: string; action: string } }
  /** The store is full of answers it may not forget yet: refused (503, retryable), not run. */
  | { kind: 'full' };

interface Entry {
  target: string;
  action: string;
  outcome: Promise<ActionOutcome>;
  arrivedAt: number;
  /** Unset while running. Expiry is derived from it and the clock, never stored. */
  completedAt?: number;
}

/** The most answers the relay keeps (a few KiB each: the steps of one action). */
export const maxIdempotencyEntries = 4096;

/**
 * How long a request can come back as fresh after it arrived: its timestamp was within
 * ±maxSkewSeconds of the relay's clock then, and a copy is refused as stale once it is more
 * than maxSkewSeconds old, so at most 2 × maxSkewSeconds after the first arrival.
 */
export const replayWindowMs = 2 * maxSkewSeconds * 1000;

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
 *
 * Bounded: at most `maxEntries` entries. When a new requestId finds the store full, expired
 * entries go first, then the oldest finished ones that arrived more than `replayWindowMs`
 * ago, before their ttl: a copy of such a request is refused as stale by the signature check
 * (and a copy within the window as replayed by the nonce store), so forgetting it cannot let
 * a replay act. Running actions and answers younger than the window are never dropped; when
 * nothing can go, the new action is refused as `full` (retryable) instead of run.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private ttlMs: number,
    private readonly maxEntries = maxIdempotencyEntries,
  ) {}

  setTtl(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  /** Entries held now (running and finished, expired ones not yet dropped). */
  get size(): number {
    return this.entries.size;
  }

  begin(
    keyId: string,
    request: { requestId: string; target: string; action: string },
    start: () => Promise<ActionOutcome>,
  ): IdempotencyResult {
    const key = `${keyId}\n${request.requestId}`;
    const now = this.clock.now();
    const existing = this.entries.get(key);
    if (existing && !this.expired(existing, now)) {
      if (existing.target !== request.target || existing.action !== request.action) {
        return { kind: 'conflict', first: { target: existing.target, action: existing.action } };
      }
      const kind = existing.completedAt === undefined ? 'joined' : 'replayed';
      return { kind, outcome: existing.outcome };
    }
    this.entries.delete(key);
    if (!this.makeRoom(now)) return { kind: 'full' };
    const entry: Entry = {
      target: request.target,
      action: request.action,
      outcome: Promise.resolve().then(start),
      arrivedAt: now,
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

  /** Makes room for one entry (the rule above); false when nothing may be dropped. */
  private makeRoom(now: number): boolean {
    if (this.entries.size < this.maxEntries) return true;
    for (const [key, entry] of this.entries) if (this.expired(entry, now)) this.entries.delete(key);
    // The map keeps arrival order: the first finished entry past the window is the oldest.
    for (const [key, entry] of this.entries) {
      if (this.entries.size < this.maxEntries) break;
      if (now - entry.arrivedAt <= replayWindowMs) break;
      if (entry.completedAt !== undefined) this.entries.delete(key);
    }
    return this.entries.size < this.maxEntries;
  }
}
