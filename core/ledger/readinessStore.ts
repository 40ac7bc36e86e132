import type { DeviceRecord, NodeReadinessRecord, ReadinessStore } from '../readiness/types.ts';
import type { DocumentTable } from './ledger.ts';

/** Row key prefixes in the ledger's cluster partition; incidents (digits) sort before them. */
const devicePrefix = 'rd:';
const nodePrefix = 'rn:';

/** The first key after every key that starts with `prefix`. */
const endOf = (prefix: string) =>
  prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

/** More rows than any cluster has devices: readiness lists are read whole. */
const allRows = 10_000;

/**
 * Readiness rows in the ledger (PartitionKey = cluster): one per device of each node's levels
 * and one per node, on either ledger. Each is written whole by one checker; last writer wins
 * (a newer check replaces an older one), which is what readiness needs.
 */
export class LedgerReadinessStore implements ReadinessStore {
  constructor(private readonly table: DocumentTable) {}

  devices(cluster: string): Promise<DeviceRecord[]> {
    return this.list<DeviceRecord>(cluster, devicePrefix);
  }

  async putDevice(cluster: string, record: DeviceRecord): Promise<void> {
    const row = `${devicePrefix}${record.node}:${record.level}:${record.index}`;
    await this.table.upsert(cluster, row, { record: JSON.stringify(record) });
  }

  nodes(cluster: string): Promise<NodeReadinessRecord[]> {
    return this.list<NodeReadinessRecord>(cluster, nodePrefix);
  }

  async putNode(cluster: string, record: NodeReadinessRecord): Promise<void> {
    await this.table.upsert(cluster, `${nodePrefix}${record.node}`, {
      record: JSON.stringify(record),
    });
  }

  private async list<T>(cluster: string, prefix: string): Promise<T[]> {
    const rows = await this.table.list(cluster, { from: prefix, below: endOf(prefix) }, allRows);
    return rows.map((row) => JSON.parse(String(row.doc.record)) as T);
  }
}
