import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newIncidentId } from '../../../core/ledger/ids.ts';
import type { DeviceRecord } from '../../../core/readiness/types.ts';
import { ledgerKinds, openTestLedger, type TestLedger } from '../../support/ledgers.ts';

const device = (node: string, index: number, patch: Partial<DeviceRecord> = {}): DeviceRecord => ({
  node,
  level: 1,
  index,
  fingerprint: 'f',
  driver: 'dummy',
  description: 'switch',
  status: 'ok',
  powerState: 'on',
  detail: 'on',
  checkedAt: 1,
  since: 1,
  ...patch,
});

/** The ledger contract, readiness rows: written once, run on SQLite and on Table Storage. */
describe.each(ledgerKinds)('%s ledger: readiness', (kind) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await openTestLedger(kind, 'readiness');
  });
  afterAll(() => ledger?.close());

  it('keeps the last record per device and per node, apart from the incident history', async () => {
    await ledger.readiness.putDevice('r', device('a', 0));
    await ledger.readiness.putDevice('r', device('a', 1));
    await ledger.readiness.putDevice('r', device('a', 0, { status: 'failing', since: 2 }));
    await ledger.readiness.putNode('r', { node: 'a', readiness: 'degraded', since: 2 });
    await ledger.readiness.putNode('r', { node: 'b', readiness: 'ready', since: 1 });
    const id = newIncidentId(Date.now());
    await ledger.incidents.project('r', {
      id,
      target: 'a',
      state: 'fencing',
      reporters: ['b'],
      createdAt: 1,
      updatedAt: 1,
      rev: 1,
    });

    const devices = await ledger.readiness.devices('r');
    expect(devices.map((d) => [d.index, d.status])).toEqual([
      [0, 'failing'],
      [1, 'ok'],
    ]);
    expect((await ledger.readiness.nodes('r')).map((n) => n.node)).toEqual(['a', 'b']);
    expect((await ledger.incidents.list('r', 10)).map((i) => i.incidentId)).toEqual([id]);
    expect(await ledger.readiness.devices('elsewhere')).toEqual([]);
  });
});
