import type { TableClient } from '@azure/data-tables';
import type { DeviceRecord, NodeReadinessRecord, ReadinessStore } from '../readiness/types.ts';

/** Row key prefixes in the ledger table (PartitionKey = cluster); incidents sort before them. */
const devicePrefix = 'rd:';
const nodePrefix = 'rn:';

interface RowEntity {
  partitionKey: string;
  rowKey: string;
  record: string;
}

/**
 * Readiness entities in the ledger table: one per device of each node's levels and one per
 * node. Each is written whole by one checker; last writer wins (a newer check replaces an
 * older one), which is what readiness needs.
 */
export class TableReadinessStore implements ReadinessStore {
  constructor(private readonly table: TableClient) {}

  devices(cluster: string): Promise<DeviceRecord[]> {
    return this.list<DeviceRecord>(cluster, devicePrefix);
  }

  async putDevice(cluster: string, record: DeviceRecord): Promise<void> {
    const key = `${devicePrefix}${record.node}:${record.level}:${record.index}`;
    await this.put(cluster, key, record);
  }

  nodes(cluster: string): Promise<NodeReadinessRecord[]> {
    return this.list<NodeReadinessRecord>(cluster, nodePrefix);
  }

  async putNode(cluster: string, record: NodeReadinessRecord): Promise<void> {
    await this.put(cluster, `${nodePrefix}${record.node}`, record);
  }

  private async put(cluster: string, rowKey: string, record: object): Promise<void> {
    const entity: RowEntity = { partitionKey: cluster, rowKey, record: JSON.stringify(record) };
    await this.table.upsertEntity(entity, 'Replace');
  }

  private async list<T>(cluster: string, prefix: string): Promise<T[]> {
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    const filter = `PartitionKey eq '${cluster.replace(/'/g, "''")}' and RowKey ge '${prefix}' and RowKey lt '${end}'`;
    const out: T[] = [];
    for await (const entity of this.table.listEntities<RowEntity>({ queryOptions: { filter } }))
      out.push(JSON.parse(entity.record) as T);
    return out;
  }
}
