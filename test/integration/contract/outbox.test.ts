import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FencerEvent } from '../../../core/notifications/events.ts';
import type { OutboxEntry } from '../../../core/notifications/outbox.ts';
import { ledgerKinds, openTestLedger, type TestLedger } from '../../support/ledgers.ts';

const event = (id: string): FencerEvent => ({
  id,
  type: 'incident.fenced',
  cluster: 'c',
  time: '2026-11-29T00:00:00.000Z',
  data: {
    cluster: 'c',
    node: 'n',
    state: 'fenced',
    readiness: 'ready',
    previousReadiness: 'ready',
    detail: '',
  },
});
const entry = (id: string, hook: string, patch: Partial<OutboxEntry> = {}): OutboxEntry => ({
  id: `${id}.${hook}`,
  hook,
  event: event(id),
  state: hook === '' ? 'delivered' : 'pending',
  attempts: 0,
  createdAt: 1_000,
  nextAt: 1_000,
  ...patch,
});

/** The ledger contract, the notification outbox: written once, run on SQLite and Table Storage. */
describe.each(ledgerKinds)('%s ledger: notification outbox', (kind) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await openTestLedger(kind, 'outbox', { tablesOnly: true });
  });
  afterAll(() => ledger?.close());

  it('adds an entry once, even after it settled (a repair produces it again)', async () => {
    const outbox = ledger.outbox;
    expect(await outbox.add([entry('e1', ''), entry('e1', 'hook')])).toEqual(['e1.', 'e1.hook']);
    expect(await outbox.add([entry('e1', ''), entry('e1', 'hook')])).toEqual([]);
    const [due] = await outbox.due(1_000, 10);
    expect(due?.id).toBe('e1.hook');
    expect(await outbox.claim(due as OutboxEntry, 5_000)).toBe(true);
    await outbox.settle({ ...(due as OutboxEntry), state: 'delivered', attempts: 1 });
    expect(await outbox.due(10_000, 10)).toEqual([]);
    expect(await outbox.add([entry('e1', 'hook')])).toEqual([]);
  });

  it('hands a due entry to one of two senders; a pending retry waits for its time', async () => {
    const outbox = ledger.outbox;
    await outbox.add([entry('e2', 'hook')]);
    const [a] = await outbox.due(1_000, 10);
    const [b] = await ledger.outbox.due(1_000, 10);
    const claims = await Promise.all([
      outbox.claim(a as OutboxEntry, 9_000),
      outbox.claim(b as OutboxEntry, 9_000),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    await outbox.settle({ ...(a as OutboxEntry), attempts: 1, nextAt: 20_000 });
    expect(await outbox.due(19_999, 10)).toEqual([]);
    expect((await outbox.due(20_000, 10)).map((e) => [e.id, e.attempts])).toEqual([['e2.hook', 1]]);
  });

  it('forgets settled entries after two hours', async () => {
    const outbox = ledger.outbox;
    await outbox.sweep(Number.MAX_SAFE_INTEGER); // what the tests above settled
    await outbox.add([entry('e3', '', { nextAt: 50_000 })]);
    expect(await outbox.sweep(50_000 + 2 * 60 * 60 * 1000 - 1)).toBe(0);
    expect(await outbox.sweep(50_000 + 2 * 60 * 60 * 1000 + 1)).toBe(1);
    expect(await outbox.add([entry('e3', '')])).toEqual(['e3.']);
  });
});
