import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { IncidentRecord } from '../../core/arbiter/state.ts';
import { ClusterStore } from '../../core/ledger/clusterStore.ts';
import { incidentRowKey, newIncidentId } from '../../core/ledger/ids.ts';
import { IncidentStore } from '../../core/ledger/incidentStore.ts';
import { ReplayStore } from '../../core/ledger/replayStore.ts';
import {
  clientsFromConnectionString,
  ensureStorage,
  type StorageClients,
  storageNames,
} from '../../core/ledger/storage.ts';
import { uniquePrefix } from '../support/testCluster.ts';
import { worstClusterState } from '../support/worstClusterState.ts';

let storage: StorageClients;

beforeAll(async () => {
  storage = clientsFromConnectionString(inject('azurite'), storageNames(uniquePrefix('ledger')));
  await ensureStorage(storage);
});

const record = (id: string, patch: Partial<IncidentRecord> = {}): IncidentRecord => ({
  id,
  target: 'b',
  state: 'fencing',
  reporters: ['a'],
  createdAt: 1,
  updatedAt: 1,
  rev: 1,
  ...patch,
});

describe('cluster entity', () => {
  it('stores and reads back the largest state the rules can produce (over one property)', async () => {
    // Table Storage holds at most 64 KiB in one property: the entity spreads it over several.
    const clusters = new ClusterStore(storage.ledger);
    const worst = worstClusterState();
    expect(JSON.stringify(worst).length).toBeGreaterThan(64 * 1024);
    expect(await clusters.write('worst', worst, undefined)).toBe(true);
    const read = await clusters.read('worst');
    expect(read.state).toEqual(worst);
    expect(await clusters.write('worst', { nodes: {}, incidents: [] }, read.etag)).toBe(true);
    expect((await clusters.read('worst')).state).toEqual({ nodes: {}, incidents: [] });
  });

  it('lets exactly one of two racers with the same ETag win', async () => {
    const clusters = new ClusterStore(storage.ledger);
    expect(await clusters.write('race', { nodes: {}, incidents: [] }, undefined)).toBe(true);
    expect(await clusters.write('race', { nodes: {}, incidents: [] }, undefined)).toBe(false);
    const { etag } = await clusters.read('race');
    const results = await Promise.all([
      clusters.write('race', { nodes: { a: { state: 'fencing' } }, incidents: [] }, etag),
      clusters.write('race', { nodes: { b: { state: 'fencing' } }, incidents: [] }, etag),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(Object.keys((await clusters.read('race')).state.nodes)).toHaveLength(1);
  });

  it('reads a missing cluster as empty, to be created by the first decision', async () => {
    expect(await new ClusterStore(storage.ledger).read('fresh')).toEqual({
      state: { nodes: {}, incidents: [] },
      etag: undefined,
    });
  });
});

describe('incident entities', () => {
  it('never lets a late, older projection roll back a newer one, and keeps attempts', async () => {
    const incidents = new IncidentStore(storage.ledger);
    const id = newIncidentId(Date.now());
    await incidents.project('c1', record(id, { rev: 2 }));
    await incidents.appendAttempt('c1', id, {
      level: 1,
      driver: 'dummy',
      startedAt: 'x',
      endedAt: 'y',
      outcome: 'off',
      detail: 'verified off',
    });
    await incidents.project('c1', record(id, { rev: 3, state: 'fenced' }));
    await incidents.project('c1', record(id, { rev: 2, state: 'fencing', reporters: ['a', 'c'] }));
    const stored = await incidents.get('c1', id);
    expect(stored).toMatchObject({
      state: 'fenced',
      reporters: ['a'],
      attempts: [{ outcome: 'off' }],
    });
  });

  it('lists newest first, and the RowKey follows from the id alone', async () => {
    const incidents = new IncidentStore(storage.ledger);
    const ids = [1_700_000_000_000, 1_700_000_100_000, 1_700_000_050_000].map((t) =>
      newIncidentId(t),
    );
    for (const id of ids) await incidents.project('c2', record(id));
    const listed = (await incidents.list('c2', 10)).map((i) => i.incidentId);
    expect(listed).toEqual([ids[1], ids[2], ids[0]]);
    expect(incidentRowKey(ids[1] ?? '') < incidentRowKey(ids[0] ?? '')).toBe(true);
    expect(await incidents.list('c2', 2)).toHaveLength(2);
  });
});

describe('replay and eventId entries', () => {
  it('remembers a nonce until it expires, and the sweeper deletes expired entries', async () => {
    let now = 1_000_000;
    const replay = new ReplayStore(storage.replay, () => now);
    expect(await replay.remember('prod/a', 'n-0123456789abcdef', now + 600_000)).toBe(true);
    expect(await replay.remember('prod/a', 'n-0123456789abcdef', now + 600_000)).toBe(false);
    expect(await replay.remember('prod/b', 'n-0123456789abcdef', now + 600_000)).toBe(true);
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'b', now + 600_000)).toEqual({
      kind: 'new',
    });
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'b', now + 600_000)).toEqual({
      kind: 'same',
    });
    await replay.rememberEvent('prod', 'a', 'ev-1', 'b', 'inc-1', now + 600_000);
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'b', now + 600_000)).toEqual({
      kind: 'same',
      incidentId: 'inc-1',
    });
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'c', now + 600_000)).toEqual({
      kind: 'conflict',
      target: 'b',
    });
    expect(await replay.claimEvent('prod', 'b', 'ev-1', 'c', now + 600_000)).toEqual({
      kind: 'new',
    });
    now += 600_001;
    expect(await replay.sweep()).toBe(4);
    let left = 0;
    for await (const _ of storage.replay.listEntities()) left++;
    expect(left).toBe(0);
    expect(await replay.remember('prod/a', 'n-0123456789abcdef', now + 600_000)).toBe(true);
    // An expired eventId binds again, to any target.
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'c', now + 600_000)).toEqual({
      kind: 'new',
    });
  });
});
