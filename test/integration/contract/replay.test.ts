import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerKinds, openTestLedger, type TestLedger } from '../../support/ledgers.ts';

/** The ledger contract, nonces and eventIds: written once, run on SQLite and on Table Storage. */
describe.each(ledgerKinds)('%s ledger: replay and eventId entries', (kind) => {
  let ledger: TestLedger;
  let now = 1_000_000;
  beforeAll(async () => {
    ledger = await openTestLedger(kind, 'replay', { now: () => now });
  });
  afterAll(() => ledger?.close());

  it('remembers a nonce until it expires; claims (new/same/conflict); the sweep deletes expired ones', async () => {
    const { replay } = ledger;
    const later = now + 600_000;
    expect(await replay.remember('prod/a', 'n-0123456789abcdef', later)).toBe(true);
    expect(await replay.remember('prod/a', 'n-0123456789abcdef', later)).toBe(false);
    expect(await replay.remember('prod/b', 'n-0123456789abcdef', later)).toBe(true);
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'b', later)).toEqual({ kind: 'new' });
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'b', later)).toEqual({ kind: 'same' });
    await replay.rememberEvent('prod', 'a', 'ev-1', 'b', 'inc-1', later);
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'b', later)).toEqual({
      kind: 'same',
      incidentId: 'inc-1',
    });
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'c', later)).toEqual({
      kind: 'conflict',
      target: 'b',
    });
    expect(await replay.claimEvent('prod', 'b', 'ev-1', 'c', later)).toEqual({ kind: 'new' });

    // Expired entries count as absent before any sweep.
    now += 600_001;
    expect(await replay.claimEvent('prod', 'b', 'ev-1', 'd', now + 600_000)).toEqual({
      kind: 'new',
    });
    expect(await replay.sweep()).toBe(3);
    expect(await replay.sweep()).toBe(0);
    expect(await replay.remember('prod/a', 'n-0123456789abcdef', now + 600_000)).toBe(true);
    // An expired eventId binds again, to any target.
    expect(await replay.claimEvent('prod', 'a', 'ev-1', 'c', now + 600_000)).toEqual({
      kind: 'new',
    });
  });

  it('lets exactly one of racing claims of a nonce or an eventId win', async () => {
    const { replay } = ledger;
    const nonces = await Promise.all(
      Array.from({ length: 4 }, () => replay.remember('prod/c', 'n-race-0123456789', now + 1000)),
    );
    expect(nonces.filter(Boolean)).toHaveLength(1);
    const claims = await Promise.all(
      ['x', 'y', 'z'].map((target) =>
        replay.claimEvent('prod', 'c', 'ev-race', target, now + 1000),
      ),
    );
    expect(claims.filter((c) => c.kind === 'new')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'conflict')).toHaveLength(2);
    // Racing claims of an expired nonce: one wins the replacement.
    now += 1001;
    const again = await Promise.all(
      Array.from({ length: 3 }, () => replay.remember('prod/c', 'n-race-0123456789', now + 1000)),
    );
    expect(again.filter(Boolean)).toHaveLength(1);
  });
});
