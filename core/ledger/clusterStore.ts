import type { TableClient } from '@azure/data-tables';
import { type ClusterState, emptyClusterState } from '../arbiter/state.ts';
import { LedgerError } from '../errors.ts';
import { isConflict, isNotFound, isPreconditionFailed } from './tableErrors.ts';

export const clusterRowKey = 'cluster';

/**
 * A Table Storage string property holds at most 64 KiB of UTF-16 (32 K characters); an entity
 * at most 1 MiB and 255 properties. The state's JSON is spread over `state`, `state1`, …
 * so the largest state the rules can produce (tested) fits with room to spare.
 */
export const stateChunkChars = 32_000;
export const maxStateChunks = 15;

/** The cluster entity as read: its state and the ETag a write must match. */
export interface Versioned {
  state: ClusterState;
  /** undefined: the entity does not exist yet (first decision creates it). */
  etag: string | undefined;
}

type ClusterEntity = Record<string, unknown> & { state: string; parts?: number };

/**
 * The cluster entity (PartitionKey = cluster, RowKey = `cluster`): the single serialisation
 * point of every decision. Writes are compare-and-set on the ETag; the caller loops on `false`.
 */
export class ClusterStore {
  constructor(private readonly table: TableClient) {}

  async read(cluster: string): Promise<Versioned> {
    try {
      const entity = await this.table.getEntity<ClusterEntity>(cluster, clusterRowKey);
      let json = entity.state;
      for (let part = 1; part < (entity.parts ?? 1); part++) json += String(entity[`state${part}`]);
      return { state: JSON.parse(json) as ClusterState, etag: entity.etag };
    } catch (err) {
      if (isNotFound(err)) return { state: emptyClusterState(), etag: undefined };
      throw err;
    }
  }

  /** Returns false when someone else wrote first (412 on update, 409 on create): re-read and retry. */
  async write(cluster: string, state: ClusterState, etag: string | undefined): Promise<boolean> {
    const entity = { partitionKey: cluster, rowKey: clusterRowKey, ...toProperties(state) };
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

function toProperties(state: ClusterState): ClusterEntity {
  const json = JSON.stringify(state);
  const parts = Math.max(1, Math.ceil(json.length / stateChunkChars));
  if (parts > maxStateChunks)
    throw new LedgerError('too-large', `cluster state of ${json.length} characters`);
  const entity: ClusterEntity = { state: json.slice(0, stateChunkChars), parts };
  for (let part = 1; part < parts; part++)
    entity[`state${part}`] = json.slice(part * stateChunkChars, (part + 1) * stateChunkChars);
  return entity;
}
