import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { NonceStore } from '../auth/verify.ts';
import { isConflict, isNotFound, isPreconditionFailed } from './tableErrors.ts';

interface ExpiringEntity {
  partitionKey: string;
  rowKey: string;
  expiresAt: number;
  value?: string;
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
export class ReplayStore implements NonceStore {
  constructor(
    private readonly table: TableClient,
    private readonly now: () => number,
  ) {}

  async remember(keyId: string, nonce: string, expiresAtMs: number): Promise<boolean> {
    return this.claim(noncePartition, keyOf(keyId, nonce), expiresAtMs);
  }

  /** The incident an earlier report with this eventId got, if it is still remembered. */
  async incidentForEvent(
    cluster: string,
    reporter: string,
    eventId: string,
  ): Promise<string | undefined> {
    try {
      const entity = await this.table.getEntity<ExpiringEntity>(
        eventPartition,
        keyOf(cluster, reporter, eventId),
      );
      return entity.expiresAt > this.now() ? entity.value : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async rememberEvent(
    cluster: string,
    reporter: string,
    eventId: string,
    incidentId: string,
    expiresAtMs: number,
  ): Promise<void> {
    const entity: ExpiringEntity = {
      partitionKey: eventPartition,
      rowKey: keyOf(cluster, reporter, eventId),
      expiresAt: expiresAtMs,
      value: incidentId,
    };
    await this.table.upsertEntity(entity, 'Replace');
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
