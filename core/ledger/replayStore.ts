import { createHash } from 'node:crypto';
import { LedgerError } from '../errors.ts';
import type { DocumentTable, EventClaim, ReplayLedger } from './ledger.ts';

export type { EventClaim } from './ledger.ts';

/** Properties of a replay entry (the same in Table Storage and SQLite). */
interface ExpiringEntity {
  expiresAt: number;
  /** eventId entries: the incident the report got (absent until it was decided). */
  value?: string;
  /** eventId entries: the target the eventId was first used for. */
  target?: string;
}

const noncePartition = 'nonce';
const eventPartition = 'event';

/** Table keys may not hold `/ \ # ?`: key them by a hash of what they stand for. */
const keyOf = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex');

/**
 * Replay and eventId entries with an expiry, in the ledger's storage (not process memory:
 * several instances serve at once). Expired entries count as absent before the sweeper
 * deletes them, so correctness never depends on the sweeper's timing.
 */
export class ReplayStore implements ReplayLedger {
  constructor(
    private readonly table: DocumentTable,
    private readonly now: () => number,
  ) {}

  async remember(keyId: string, nonce: string, expiresAtMs: number): Promise<boolean> {
    return this.claim(noncePartition, keyOf(keyId, nonce), expiresAtMs);
  }

  /**
   * Binds an eventId of a reporter to its target before the report is decided, so two reports
   * racing with one eventId about two targets cannot both be acted on: the first binds it, the
   * other sees `conflict`.
   */
  async claimEvent(
    cluster: string,
    reporter: string,
    eventId: string,
    target: string,
    expiresAtMs: number,
  ): Promise<EventClaim> {
    const row = keyOf(cluster, reporter, eventId);
    for (let tries = 0; tries < 5; tries++) {
      const existing = await this.table.get(eventPartition, row);
      const entry = existing?.doc as ExpiringEntity | undefined;
      if (existing && entry && entry.expiresAt > this.now()) {
        // Entries written before targets were kept count as the same target.
        if (entry.target !== undefined && entry.target !== target)
          return { kind: 'conflict', target: entry.target };
        return entry.value ? { kind: 'same', incidentId: entry.value } : { kind: 'same' };
      }
      const doc: ExpiringEntity = { expiresAt: expiresAtMs, target };
      const written = existing
        ? await this.table.replace(eventPartition, row, { ...doc }, existing.etag)
        : await this.table.create(eventPartition, row, { ...doc });
      if (written !== false) return { kind: 'new' };
    }
    throw new LedgerError('contention', `eventId ${eventId}: too many concurrent writers`, {
      retryable: true,
    });
  }

  /** Records the incident a claimed eventId's report got; retries then return it. */
  async rememberEvent(
    cluster: string,
    reporter: string,
    eventId: string,
    target: string,
    incidentId: string,
    expiresAtMs: number,
  ): Promise<void> {
    const doc: ExpiringEntity = { expiresAt: expiresAtMs, value: incidentId, target };
    await this.table.upsert(eventPartition, keyOf(cluster, reporter, eventId), { ...doc });
  }

  /** Deletes expired entries; returns how many. Run by the sweeper timer. */
  async sweep(): Promise<number> {
    const now = this.now();
    let deleted = 0;
    for (const partition of [noncePartition, eventPartition])
      deleted += await this.table.deleteExpired(partition, now);
    return deleted;
  }

  /** Insert-if-absent; an expired leftover is replaced under its ETag (one racer wins). */
  private async claim(partition: string, row: string, expiresAt: number): Promise<boolean> {
    if ((await this.table.create(partition, row, { expiresAt })) !== false) return true;
    const existing = await this.table.get(partition, row);
    // Deleted by the sweeper in between: a new create decides it (one racer wins that too).
    if (!existing) return (await this.table.create(partition, row, { expiresAt })) !== false;
    if (Number(existing.doc.expiresAt) > this.now()) return false;
    return (await this.table.replace(partition, row, { expiresAt }, existing.etag)) !== false;
  }
}
