import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../../core/arbiter/state.ts';
import { incidentRowKey, newIncidentId } from '../../../core/ledger/ids.ts';
import type { Attempt } from '../../../core/protocol/api.ts';
import { ledgerKinds, openTestLedger, type TestLedger } from '../../support/ledgers.ts';

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

const attempt = (outcome: Attempt['outcome']): Attempt => ({
  level: 1,
  driver: 'dummy',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  outcome,
  detail: outcome,
});

/** The ledger contract, incident history: written once, run on SQLite and on Table Storage. */
describe.each(ledgerKinds)('%s ledger: incidents', (kind) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await openTestLedger(kind, 'incidents');
  });
  afterAll(() => ledger?.close());

  it('never lets a late, older projection roll back a newer one, and keeps attempts', async () => {
    const id = newIncidentId(Date.now());
    await ledger.incidents.project('c1', record(id, { rev: 2 }), 'heartbeat lost');
    await ledger.incidents.appendAttempt('c1', id, attempt('off'));
    await ledger.incidents.project('c1', record(id, { rev: 3, state: 'fenced' }));
    await ledger.incidents.project('c1', record(id, { rev: 2, reporters: ['a', 'c'] }));
    expect(await ledger.incidents.get('c1', id)).toMatchObject({
      state: 'fenced',
      reporters: ['a'],
      reason: 'heartbeat lost',
      attempts: [{ outcome: 'off' }],
    });
  });

  it('keeps refused reports and attempts across later projections, and never invents one', async () => {
    const id = newIncidentId(Date.now());
    const ghost = newIncidentId(Date.now());
    expect(await ledger.incidents.appendAttempt('c1', ghost, attempt('error'))).toBeUndefined();
    expect(await ledger.incidents.get('c1', ghost)).toBeUndefined();
    await ledger.incidents.project('c1', record(id));
    const refused = {
      reporter: 'b',
      at: '2026-01-01T00:00:00.000Z',
      code: 'reporter-fenced' as const,
    };
    await ledger.incidents.appendRefusedReport('c1', id, refused);
    await ledger.incidents.appendAttempt('c1', id, attempt('error'));
    await ledger.incidents.appendAttempt('c1', id, attempt('off'));
    await ledger.incidents.project('c1', record(id, { rev: 2, state: 'fenced' }));
    expect(await ledger.incidents.get('c1', id)).toMatchObject({
      state: 'fenced',
      refusedReports: [refused],
      attempts: [{ outcome: 'error' }, { outcome: 'off' }],
    });
  });

  it('serialises concurrent appends: none is lost', async () => {
    const id = newIncidentId(Date.now());
    await ledger.incidents.project('c3', record(id));
    await Promise.all(
      Array.from({ length: 6 }, () => ledger.incidents.appendAttempt('c3', id, attempt('error'))),
    );
    expect((await ledger.incidents.get('c3', id))?.attempts).toHaveLength(6);
  });

  it('lists newest first (not the cluster entity), and the row key follows from the id alone', async () => {
    const ids = [1_700_000_000_000, 1_700_000_100_000, 1_700_000_050_000].map((t) =>
      newIncidentId(t),
    );
    for (const id of ids) await ledger.incidents.project('c2', record(id));
    await ledger.clusters.write('c2', { nodes: {}, incidents: [] }, undefined);
    const listed = (await ledger.incidents.list('c2', 10)).map((i) => i.incidentId);
    expect(listed).toEqual([ids[1], ids[2], ids[0]]);
    expect(incidentRowKey(ids[1] ?? '') < incidentRowKey(ids[0] ?? '')).toBe(true);
    expect(await ledger.incidents.list('c2', 2)).toHaveLength(2);
    expect(await ledger.incidents.list('nowhere', 10)).toEqual([]);
  });
});
