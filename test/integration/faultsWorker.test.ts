import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../core/arbiter/arbiter.ts';
import { decideReport } from '../../core/arbiter/report.ts';
import type { FenceMessage, FenceQueue } from '../../core/ledger/fenceQueue.ts';
import { silentLog } from '../../core/log.ts';
import { createRuntime, type Runtime } from '../../core/runtime.ts';
import { processFenceMessage } from '../../core/worker/fenceWorker.ts';
import { openTestLedger, type TestLedger } from '../support/ledgers.ts';
import { writeTestConfig } from '../support/testCluster.ts';

/**
 * Duplicate deliveries of one fence message (Storage Queues deliver at least once; the sweeper
 * re-sends a fence whose lease lapsed while its worker was only slow). However the copies
 * land, on one worker instance or on two, the target is powered off once.
 */
const setup = writeTestConfig({
  dup: {
    nodes: { a: {}, b: { dummy: { offDelayMs: 500 } }, c: {}, d: { dummy: { offDelayMs: 500 } } },
  },
});
/** Table Storage: the ledger several Functions instances share. */
let ledger: TestLedger;

beforeAll(async () => {
  ledger = await openTestLedger('table', 'dupfence');
});
afterAll(() => ledger?.close());

function worker(owner: string): Runtime {
  const queue: FenceQueue = { send: async () => {} };
  return createRuntime({
    loaded: setup.loaded,
    ledger,
    log: silentLog,
    version: 'test',
    queue,
    owner,
    leaseMs: 3_000,
  });
}

async function accepted(reporter: string, target: string): Promise<FenceMessage> {
  const { outcome } = await decide(worker('reporter'), 'dup', (state, ctx) =>
    decideReport(state, { reporter, target }, ctx),
  );
  expect(outcome).toMatchObject({ kind: 'accepted', status: 202 });
  return { cluster: 'dup', incidentId: outcome.kind === 'accepted' ? outcome.incidentId : '' };
}

const powerOffCalls = (node: string): number =>
  JSON.parse(readFileSync(setup.statusFile('dup', node), 'utf8')).powerOffCalls;

describe('duplicate fence messages', () => {
  it('two copies on the same worker instance, at once: one fences, the other stands back', async () => {
    // Prepare
    const message = await accepted('a', 'b');
    const instance = worker('instance-1');

    // Act
    const results = await Promise.all([
      processFenceMessage(instance, message),
      processFenceMessage(instance, message),
    ]);

    // Assess
    expect(results.sort()).toEqual(['busy', 'fenced']);
    expect(powerOffCalls('b')).toBe(1);
    const incident = await instance.incidents.get('dup', message.incidentId);
    expect(incident?.state).toBe('fenced');
    expect(incident?.attempts.map((a) => a.outcome)).toEqual(['off']);
  });

  it('two copies on two instances, at once: one fences, the other stands back', async () => {
    // Prepare
    const message = await accepted('c', 'd');

    // Act
    const results = await Promise.all([
      processFenceMessage(worker('instance-1'), message),
      processFenceMessage(worker('instance-2'), message),
    ]);

    // Assess
    expect(results.sort()).toEqual(['busy', 'fenced']);
    expect(powerOffCalls('d')).toBe(1);
    const incident = await worker('reader').incidents.get('dup', message.incidentId);
    expect(incident?.attempts.map((a) => a.outcome)).toEqual(['off']);
  });
});
