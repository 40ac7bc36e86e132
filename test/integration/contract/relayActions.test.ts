import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayAction } from '../../../core/drivers/relayActions.ts';
import { ledgerKinds, openTestLedger, type TestLedger } from '../../support/ledgers.ts';

/**
 * The ledger contract, pull-relay mailboxes (issue 17): written once, run on SQLite and on
 * Table Storage. Times are explicit arguments, so no clock is involved.
 */
describe.each(ledgerKinds)('%s ledger: relay actions', (kind) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await openTestLedger(kind, 'relayactions');
  });
  afterAll(() => ledger?.close());
  const store = () => ledger.relayActions;

  const t0 = Date.UTC(2026, 0, 1);
  /** A relay name no other test uses: each test has its own mailbox. */
  const relayName = () => `site-${randomBytes(4).toString('hex')}`;
  const action = (relay: string, n: number, extra: Partial<RelayAction> = {}): RelayAction => ({
    relay,
    requestId: `inc-1.1.ab:bmc:off:${n}`,
    headers: {
      'X-Fencer-Key': relay,
      'X-Fencer-Timestamp': String(t0 / 1000),
      'X-Fencer-Nonce': `nonce-${n}-${'x'.repeat(16)}`,
      'X-Fencer-Signature': `v1=${'0'.repeat(64)}`,
    },
    body: `{"requestId":"inc-1.1.ab:bmc:off:${n}","target":"bmc","action":"off","deadlineMs":20000}`,
    issuedAt: t0 + n,
    expiresAt: t0 + 22_000,
    ...extra,
  });

  it('keeps the first put of a requestId; a take hands out its exact headers and body', async () => {
    // Prepare
    const relay = relayName();
    const first = action(relay, 1);

    // Act
    const stored = await store().put(first);
    const again = await store().put({ ...first, body: '{"changed":true}' });
    const taken = await store().take(relay, t0 + 10, 5_000, 16);

    // Assess
    expect([stored, again]).toEqual([true, false]);
    expect(taken.actions).toEqual([first]);
  });

  it('hands out oldest first, at most `limit`, each once per visibility window', async () => {
    // Prepare
    const relay = relayName();
    for (const n of [3, 1, 2]) await store().put(action(relay, n));

    // Act
    const firstTake = await store().take(relay, t0 + 10, 5_000, 2);
    const secondTake = await store().take(relay, t0 + 20, 5_000, 16);
    const hidden = await store().take(relay, t0 + 30, 5_000, 16);
    const back = await store().take(relay, t0 + 5_011, 5_000, 16);

    // Assess
    const ids = (t: { actions: RelayAction[] }) => t.actions.map((a) => a.requestId.at(-1));
    expect(ids(firstTake)).toEqual(['1', '2']);
    expect(ids(secondTake)).toEqual(['3']);
    expect(ids(hidden)).toEqual([]);
    expect(ids(back)).toEqual(['1', '2']);
    expect(await store().get(relay, action(relay, 1).requestId)).toMatchObject({
      state: 'pending',
      deliveries: 2,
    });
  });

  it('never gives one action to two concurrent takes', async () => {
    // Prepare
    const relay = relayName();
    await Promise.all(Array.from({ length: 12 }, (_, n) => store().put(action(relay, n))));

    // Act
    const takes = await Promise.all(
      Array.from({ length: 6 }, () => store().take(relay, t0 + 100, 5_000, 16)),
    );

    // Assess
    const handed = takes.flatMap((t) => t.actions.map((a) => a.requestId));
    expect(handed.length).toBe(12);
    expect(new Set(handed).size).toBe(12);
  });

  it('never hands out an expired, withdrawn or answered action, nor another relay’s', async () => {
    // Prepare
    const relay = relayName();
    const other = relayName();
    await store().put(action(relay, 1, { expiresAt: t0 + 50 }));
    await store().put(action(relay, 2));
    await store().put(action(relay, 3));
    await store().put(action(other, 4));
    await store().withdraw(relay, action(relay, 2).requestId);
    await store().answer(relay, action(relay, 3).requestId, { status: 200, body: '{}' }, t0 + 60);

    // Act
    const taken = await store().take(relay, t0 + 100, 5_000, 16);

    // Assess
    expect(taken.actions).toEqual([]);
    expect(await store().get(relay, action(relay, 2).requestId)).toMatchObject({
      state: 'withdrawn',
    });
  });

  it('answers: the first is kept, repeats are duplicates, unknown or foreign requestIds unknown', async () => {
    // Prepare
    const relay = relayName();
    const other = relayName();
    const mine = action(relay, 1);
    await store().put(mine);
    await store().put(action(other, 2));
    const first = { status: 200, body: '{"requestId":"x","verified":true}' };

    // Act
    const outcomes = [
      await store().answer(relay, mine.requestId, first, t0 + 100),
      await store().answer(relay, mine.requestId, { status: 504, body: '{}' }, t0 + 200),
      await store().answer(relay, 'never-issued', first, t0 + 300),
      await store().answer(relay, action(other, 2).requestId, first, t0 + 400),
      await store().answer(relay, '~poll', first, t0 + 500),
    ];

    // Assess
    expect(outcomes).toEqual(['stored', 'duplicate', 'unknown', 'unknown', 'unknown']);
    expect(await store().get(relay, mine.requestId)).toEqual({
      state: 'answered',
      deliveries: 0,
      result: first,
    });
    expect(await store().get(other, action(other, 2).requestId)).toMatchObject({
      state: 'pending',
    });
    expect(await store().get(relay, 'never-issued')).toBeUndefined();
  });

  it('a withdrawn action is kept until it expires: a repeat answer is a duplicate, a late one changes nothing', async () => {
    // Prepare
    const relay = relayName();
    await store().put(action(relay, 1));
    await store().put(action(relay, 2));
    const result = { status: 401, body: '{"code":"unauthenticated"}' };
    await store().answer(relay, action(relay, 1).requestId, result, t0 + 100);

    // Act
    await store().withdraw(relay, action(relay, 1).requestId);
    await store().withdraw(relay, action(relay, 2).requestId);
    await store().withdraw(relay, 'never-issued');
    const repeat = await store().answer(relay, action(relay, 1).requestId, result, t0 + 200);
    const late = await store().answer(relay, action(relay, 2).requestId, result, t0 + 200);

    // Assess
    expect(await store().get(relay, action(relay, 1).requestId)).toMatchObject({
      state: 'answered',
      result,
    });
    expect(await store().get(relay, action(relay, 2).requestId)).toMatchObject({
      state: 'withdrawn',
    });
    expect(await store().get(relay, action(relay, 2).requestId)).not.toHaveProperty('result');
    expect([repeat, late]).toEqual(['duplicate', 'late']);
    expect((await store().take(relay, t0 + 300, 5_000, 16)).actions).toEqual([]);
  });

  it('remembers the last poll per relay and the newest poll id', async () => {
    // Prepare
    const relay = relayName();
    const before = await store().lastPoll(relay);

    // Act
    await store().polled(relay, 'poll-a', t0 + 1_000);
    await store().polled(relay, 'poll-b', t0 + 2_000);
    const taken = await store().take(relay, t0 + 2_001, 5_000, 16);

    // Assess
    expect(before).toBeUndefined();
    expect(await store().lastPoll(relay)).toBe(t0 + 2_000);
    expect(taken).toEqual({ actions: [], latestPoll: 'poll-b' });
    expect(await store().lastPoll(relayName())).toBeUndefined();
  });

  it('sweeps the given relays’ actions expired before now, and nothing else', async () => {
    // Prepare
    const relay = relayName();
    await store().put(action(relay, 1, { expiresAt: t0 - 10_000 }));
    await store().put(action(relay, 2, { expiresAt: t0 + 10_000 }));
    await store().polled(relay, 'poll-a', t0 - 20_000);

    // Act
    const deleted = await store().sweep([relay, relayName()], t0);

    // Assess
    expect(deleted).toBe(1);
    expect(await store().get(relay, action(relay, 1).requestId)).toBeUndefined();
    expect(await store().get(relay, action(relay, 2).requestId)).toMatchObject({
      state: 'pending',
    });
    expect(await store().lastPoll(relay)).toBe(t0 - 20_000);
  });
});
