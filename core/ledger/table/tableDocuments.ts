import type { TableClient } from '@azure/data-tables';
import type { DocumentTable, RowRange, StoredDocument } from '../ledger.ts';
import { isConflict, isNotFound, isPreconditionFailed } from './tableErrors.ts';

type Entity = Record<string, unknown> & { partitionKey?: string; rowKey?: string; etag?: string };

/** What the service adds to every entity; not part of the document. */
const systemProperties = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata']);

function toStored(entity: Entity): StoredDocument {
  const doc: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entity))
    if (!systemProperties.has(name)) doc[name] = value;
  return { row: String(entity.rowKey), doc, etag: String(entity.etag) };
}

/**
 * `DocumentTable` on Azure Table Storage: PartitionKey/RowKey, the document's properties as
 * entity properties (the entity shapes of earlier versions, so existing ledgers read the
 * same), the service's ETag with If-Match. Lost races are 412 on update (404 when the row
 * was deleted meanwhile) and 409 on create; both answer false.
 */
export class TableDocuments implements DocumentTable {
  constructor(private readonly table: TableClient) {}

  async get(partition: string, row: string): Promise<StoredDocument | undefined> {
    try {
      return toStored(await this.table.getEntity<Entity>(partition, row));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(partition: string, row: string, doc: Record<string, unknown>) {
    try {
      const response = await this.table.createEntity({
        ...doc,
        partitionKey: partition,
        rowKey: row,
      });
      return response.etag ?? '*';
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  async replace(partition: string, row: string, doc: Record<string, unknown>, etag: string) {
    try {
      const entity = { ...doc, partitionKey: partition, rowKey: row };
      const response = await this.table.updateEntity(entity, 'Replace', { etag });
      return response.etag ?? '*';
    } catch (err) {
      if (isPreconditionFailed(err) || isNotFound(err)) return false;
      throw err;
    }
  }

  async upsert(partition: string, row: string, doc: Record<string, unknown>): Promise<void> {
    await this.table.upsertEntity({ ...doc, partitionKey: partition, rowKey: row }, 'Replace');
  }

  async list(partition: string, range: RowRange, limit: number): Promise<StoredDocument[]> {
    const out: StoredDocument[] = [];
    const from = range.from === undefined ? '' : ` and RowKey ge ${quote(range.from)}`;
    const filter = `PartitionKey eq ${quote(partition)}${from} and RowKey lt ${quote(range.below)}`;
    const pages = this.table
      .listEntities<Entity>({ queryOptions: { filter } })
      .byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const entity of page) {
        out.push(toStored(entity));
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async deleteExpired(partition: string, nowMs: number): Promise<number> {
    let deleted = 0;
    const expired = this.table.listEntities<Entity>({
      queryOptions: {
        // `expiresAt` is stored as a Double (epoch milliseconds exceed Int32).
        filter: `PartitionKey eq ${quote(partition)} and expiresAt lt ${Math.floor(nowMs)}.0`,
        select: ['RowKey'],
      },
    });
    for await (const entity of expired) {
      try {
        await this.table.deleteEntity(partition, String(entity.rowKey));
        deleted++;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return deleted;
  }

  async delete(partition: string, row: string): Promise<void> {
    try {
      await this.table.deleteEntity(partition, row);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
