import { type ClusterState, emptyClusterState } from '../arbiter/state.ts';
import { LedgerError } from '../errors.ts';
import type { ClusterLedger, DocumentTable, Versioned } from './ledger.ts';

export const clusterRowKey = 'cluster';

/**
 * A Table Storage string property holds at most 64 KiB of UTF-16 (32 K characters); an entity
 * at most 1 MiB and 255 properties. The state's JSON is spread over `state`, `state1`, …
 * so the largest state the rules can produce (tested) fits with room to spare. The SQLite
 * ledger stores the same properties, so both hold the same bounded entity.
 */
export const stateChunkChars = 32_000;
export const maxStateChunks = 15;

/**
 * The cluster entity (PartitionKey = cluster, RowKey = `cluster`): the single serialisation
 * point of every decision. Writes are compare-and-set on the ETag; the caller loops on `false`.
 */
export class ClusterStore implements ClusterLedger {
  constructor(private readonly table: DocumentTable) {}

  async read(cluster: string): Promise<Versioned> {
    const stored = await this.table.get(cluster, clusterRowKey);
    if (!stored) return { state: emptyClusterState(), etag: undefined };
    const { doc } = stored;
    let json = String(doc.state);
    const parts = typeof doc.parts === 'number' ? doc.parts : 1;
    for (let part = 1; part < parts; part++) json += String(doc[`state${part}`]);
    return { state: JSON.parse(json) as ClusterState, etag: stored.etag };
  }

  write(cluster: string, state: ClusterState, etag: string | undefined): Promise<string | false> {
    const doc = toProperties(state);
    return etag === undefined
      ? this.table.create(cluster, clusterRowKey, doc)
      : this.table.replace(cluster, clusterRowKey, doc, etag);
  }
}

function toProperties(state: ClusterState): Record<string, unknown> {
  const json = JSON.stringify(state);
  const parts = Math.max(1, Math.ceil(json.length / stateChunkChars));
  if (parts > maxStateChunks)
    throw new LedgerError('too-large', `cluster state of ${json.length} characters`);
  const doc: Record<string, unknown> = { state: json.slice(0, stateChunkChars), parts };
  for (let part = 1; part < parts; part++)
    doc[`state${part}`] = json.slice(part * stateChunkChars, (part + 1) * stateChunkChars);
  return doc;
}
