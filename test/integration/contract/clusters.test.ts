import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyClusterState } from '../../../core/arbiter/state.ts';
import { ledgerKinds, openTestLedger, type TestLedger } from '../../support/ledgers.ts';
import { worstClusterState } from '../../support/worstClusterState.ts';

/** The ledger contract, cluster entity: written once, run on SQLite and on Table Storage. */
describe.each(ledgerKinds)('%s ledger: the cluster entity', (kind) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await openTestLedger(kind, 'clusters');
  });
  afterAll(() => ledger?.close());

  it('stores and reads back the largest state the rules can produce (over one property)', async () => {
    // Table Storage holds at most 64 KiB in one property: the entity spreads it over several.
    const worst = worstClusterState();
    expect(JSON.stringify(worst).length).toBeGreaterThan(64 * 1024);
    const etag = await ledger.clusters.write('worst', worst, undefined);
    expect(etag).toEqual(expect.any(String));
    const read = await ledger.clusters.read('worst');
    expect(read).toEqual({ state: worst, etag });
    expect(await ledger.clusters.write('worst', emptyClusterState(), read.etag)).not.toBe(false);
    expect((await ledger.clusters.read('worst')).state).toEqual(emptyClusterState());
  });

  it('lets exactly one of two racers with the same ETag win, and hands out a new ETag', async () => {
    expect(await ledger.clusters.write('race', emptyClusterState(), undefined)).not.toBe(false);
    const { etag } = await ledger.clusters.read('race');
    const results = await Promise.all([
      ledger.clusters.write('race', { nodes: { a: { state: 'fencing' } }, incidents: [] }, etag),
      ledger.clusters.write('race', { nodes: { b: { state: 'fencing' } }, incidents: [] }, etag),
    ]);
    expect(results.filter((r) => r === false)).toHaveLength(1);
    const winner = results.find((r) => r !== false);
    const after = await ledger.clusters.read('race');
    expect(after.etag).toBe(winner);
    expect(after.etag).not.toBe(etag);
    expect(Object.keys(after.state.nodes)).toHaveLength(1);
    // The old ETag is spent for good.
    expect(await ledger.clusters.write('race', emptyClusterState(), etag)).toBe(false);
  });

  it('lets exactly one of two creators win', async () => {
    const results = await Promise.all(
      ['a', 'b'].map((n) =>
        ledger.clusters.write(
          'born',
          { nodes: { [n]: { state: 'fenced' } }, incidents: [] },
          undefined,
        ),
      ),
    );
    expect(results.filter((r) => r === false)).toHaveLength(1);
    expect(await ledger.clusters.write('born', emptyClusterState(), undefined)).toBe(false);
  });

  it('reads a missing cluster as empty, to be created by the first decision', async () => {
    expect(await ledger.clusters.read('fresh')).toEqual({
      state: emptyClusterState(),
      etag: undefined,
    });
  });

  it('answers health while it can be read', async () => {
    await expect(ledger.health()).resolves.toBeUndefined();
    await expect(ledger.durable()).resolves.toBeUndefined();
  });
});
