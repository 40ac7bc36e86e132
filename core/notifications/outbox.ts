import type { FencerEvent } from './events.ts';

/**
 * One event for one webhook, kept until it was delivered or an hour of retries passed. An
 * event also gets one entry with `hook: ''` (no webhook): it marks the event as produced, so a
 * repair that produces it again is recognised (no second log line, no second delivery).
 */
export interface OutboxEntry {
  /** `${event.id}.${hook}`: stable across retries and repairs. */
  id: string;
  hook: string;
  event: FencerEvent;
  state: 'pending' | 'delivered' | 'dead';
  attempts: number;
  createdAt: number;
  /** Epoch ms of the next try (pending), or when it settled. */
  nextAt: number;
  lastError?: string;
}

/** The durable notification outbox (both ledger implementations). */
export interface Outbox {
  /** Inserts the entries whose id is not there yet; returns the ids that were new. */
  add(entries: OutboxEntry[]): Promise<string[]>;
  /** Pending entries whose try is due at `now`, oldest first. */
  due(now: number, limit: number): Promise<OutboxEntry[]>;
  /** Takes an entry for one try until `until`; false when another sender took it first. */
  claim(entry: OutboxEntry, until: number): Promise<boolean>;
  /** Writes an entry after a try (delivered, dead, or pending with its next try). */
  settle(entry: OutboxEntry): Promise<void>;
  /** Deletes settled entries kept long enough (two hours) by `now`; returns how many. */
  sweep(now: number): Promise<number>;
}
