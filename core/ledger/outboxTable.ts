import type { TableClient } from '@azure/data-tables';
import type { Outbox, OutboxEntry } from '../notifications/outbox.ts';
import { isConflict, isNotFound, isPreconditionFailed } from './tableErrors.ts';

/** Outbox rows live in the ledger table under a partition no cluster can have (names are alphanumeric). */
const partitionKey = '~outbox';

interface Row {
  partitionKey: string;
  rowKey: string;
  state: OutboxEntry['state'];
  nextAt: number;
  entry: string;
}

const rowOf = (entry: OutboxEntry): Row => ({
  partitionKey,
  rowKey: entry.id,
  state: entry.state,
  nextAt: entry.nextAt,
  entry: JSON.stringify(entry),
});

export class TableOutbox implements Outbox {
  /** ETags of entries read by `due`, for `claim`. */
  private readonly etags = new Map<string, string>();

  constructor(private readonly table: TableClient) {}

  async add(entries: OutboxEntry[]): Promise<string[]> {
    const added: string[] = [];
    for (const entry of entries) {
      try {
        await this.table.createEntity(rowOf(entry));
        added.push(entry.id);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    return added;
  }

  async due(now: number, limit: number): Promise<OutboxEntry[]> {
    const filter = `PartitionKey eq '${partitionKey}' and state eq 'pending' and nextAt le ${now}.0`;
    const out: OutboxEntry[] = [];
    for await (const row of this.table.listEntities<Row>({ queryOptions: { filter } })) {
      this.etags.set(row.rowKey, row.etag);
      out.push(JSON.parse(row.entry) as OutboxEntry);
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async claim(entry: OutboxEntry, until: number): Promise<boolean> {
    const etag = this.etags.get(entry.id);
    if (!etag) return false;
    try {
      const result = await this.table.updateEntity(rowOf({ ...entry, nextAt: until }), 'Replace', {
        etag,
      });
      if (result.etag) this.etags.set(entry.id, result.etag);
      return true;
    } catch (err) {
      if (isPreconditionFailed(err) || isNotFound(err)) return false;
      throw err;
    }
  }

  async settle(entry: OutboxEntry): Promise<void> {
    this.etags.delete(entry.id);
    await this.table.upsertEntity(rowOf(entry), 'Replace');
  }

  async sweep(before: number): Promise<number> {
    const filter = `PartitionKey eq '${partitionKey}' and state ne 'pending' and nextAt lt ${before}.0`;
    let deleted = 0;
    for await (const row of this.table.listEntities<Row>({
      queryOptions: { filter, select: ['RowKey'] },
    })) {
      try {
        await this.table.deleteEntity(partitionKey, row.rowKey);
        deleted++;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return deleted;
  }
}
