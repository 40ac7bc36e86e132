import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { NonceStore } from '../auth/verify.ts';
import { LedgerError } from '../errors.ts';
import { isConflict, isNotFound, isPreconditionFailed } from './tableErrors.ts';

interface ExpiringEntity {
  partitionKey: string;
  rowKey: string;
  expiresAt: number;
  /** eventId entries: the incident the report got (absent until it was decided). */
  value?: string;
  /** eventId entries: the target the eventId was first used for. */
  target?: string;
}

/** What an eventId is to a new report (DESIGN "Request signing": eventIds). */
export type EventClaim =
  | { kind: 'new' }
  /** Used before for the same target; `incidentId` once that report was decided. */
  | { kind: 'same'; incidentId?: string }
  /** Used before for another target: 409 `event-conflict`. */
  | { kind: 'conflict'; target: string };

const noncePartition = 'nonce';
const eventPartition = 'event';

/** Table keys may not hold `/ \ # ?`: key them by a hash of what they stand for. */
const keyOf = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex');

/**
 * Replay and eventId entries with an expiry, in the ledger's storage (not process memory:
 * several instances serve at once). Expired entries count as absent before the sweeper
 * deletes them, so correctness never depends on the sweeper's timing.
 */
export class ReplayStore implements NonceStore {
  constructor(
    private readonly table: TableClient,
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
    const rowKey = keyOf(cluster, reporter, eventId);
    for (let tries = 0; tries < 5; tries++) {
      const existing = await this.read(eventPartition, rowKey);
      if (existing && existing.expiresAt > this.now()) {
        // Entries written before targets were kept count as the same target.
        if (existing.target !== undefined && existing.target !== target)
          return { kind: 'conflict', target: existing.target };
        return existing.value ? { kind: 'same', incidentId: existing.value } : { kind: 'same' };
      }
      const entity: ExpiringEntity = {
        partitionKey: eventPartition,
        rowKey,
        expiresAt: expiresAtMs,
        target,
      };
      try {
        if (existing) await this.table.updateEntity(entity, 'Replace', { etag: existing.etag });
        else await this.table.createEntity(entity);
        return { kind: 'new' };
      } catch (err) {
        if (!isConflict(err) && !isPreconditionFailed(err)) throw err;
      }
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
    const entity: ExpiringEntity = {
      partitionKey: eventPartition,
      rowKey: keyOf(cluster, reporter, eventId),
      expiresAt: expiresAtMs,
      value: incidentId,
      target,
    };
    await this.table.upsertEntity(entity, 'Replace');
  }

  private async read(
    partitionKey: string,
    rowKey: string,
  ): Promise<(ExpiringEntity & { etag: string }) | undefined> {
    try {
      return await this.table.getEntity<ExpiringEntity>(partitionKey, rowKey);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Deletes expired entries; returns how many. Run by the sweeper timer. */
  async sweep(): Promise<number> {
    let deleted = 0;
    const now = this.now();
    for (const partition of [noncePartition, eventPartition]) {
      const expired = this.table.listEntities<ExpiringEntity>({
        queryOptions: {
          filter: `PartitionKey eq '${partition}' and expiresAt lt ${now}.0`,
          select: ['RowKey'],
        },
      });
      for await (const entity of expired) {
        try {
          await this.table.deleteEntity(partition, entity.rowKey);
          deleted++;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    return deleted;
  }

  /** Insert-if-absent; an expired leftover is replaced under its ETag (one racer wins). */
  private async claim(partitionKey: string, rowKey: string, expiresAt: number): Promise<boolean> {
    try {
      await this.table.createEntity<ExpiringEntity>({ partitionKey, rowKey, expiresAt });
      return true;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    const existing = await this.table.getEntity<ExpiringEntity>(partitionKey, rowKey);
    if (existing.expiresAt > this.now()) return false;
    try {
      await this.table.updateEntity<ExpiringEntity>(
        { partitionKey, rowKey, expiresAt },
        'Replace',
        { etag: existing.etag },
      );
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      throw err;
    }
  }
}
