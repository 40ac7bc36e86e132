import type { TableClient } from '@azure/data-tables';
import { type ClusterState, emptyClusterState } from '../arbiter/state.ts';
import { isConflict, isNotFound, isPreconditionFailed } from './tableErrors.ts';

export const clusterRowKey = 'cluster';

/** The cluster entity as read: its state and the ETag a write must match. */
export interface Versioned {
  state: ClusterState;
  /** undefined: the entity does not exist yet (first decision creates it). */
  etag: string | undefined;
}

/**
 * The cluster entity (PartitionKey = cluster, RowKey = `cluster`): the single serialisation
 * point of every decision. Writes are compare-and-set on the ETag; the caller loops on `false`.
 */
export class ClusterStore {
  constructor(private readonly table: TableClient) {}

  async read(cluster: string): Promise<Versioned> {
    try {
      const entity = await this.table.getEntity<{ state: string }>(cluster, clusterRowKey);
      return { state: JSON.parse(entity.state) as ClusterState, etag: entity.etag };
    } catch (err) {
      if (isNotFound(err)) return { state: emptyClusterState(), etag: undefined };
      throw err;
    }
  }

  /** Returns false when someone else wrote first (412 on update, 409 on create): re-read and retry. */
  async write(cluster: string, state: ClusterState, etag: string | undefined): Promise<boolean> {
    const entity = { partitionKey: cluster, rowKey: clusterRowKey, state: JSON.stringify(state) };
    try {
      if (etag === undefined) await this.table.createEntity(entity);
      else await this.table.updateEntity(entity, 'Replace', { etag });
      return true;
    } catch (err) {
      if (isPreconditionFailed(err) || isConflict(err)) return false;
      throw err;
    }
  }
}
