import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../core/arbiter/arbiter.ts';
import { claim } from '../../core/arbiter/lifecycle.ts';
import { decideReport } from '../../core/arbiter/report.ts';
import { systemClock } from '../../core/clock.ts';
import type { FenceMessage, FenceQueue } from '../../core/ledger/fenceQueue.ts';
import { incidentRowKey } from '../../core/ledger/ids.ts';
import { silentLog } from '../../core/log.ts';
import { createRuntime, type Runtime } from '../../core/runtime.ts';
import { sweep } from '../../core/worker/sweeper.ts';
import { openTestLedger, type TestLedger } from '../support/ledgers.ts';
import { writeTestConfig } from '../support/testCluster.ts';

const setup = writeTestConfig({
  sw: { options: { maxConcurrentFences: 3 }, nodes: { a: {}, b: {}, c: {}, d: {}, e: {} } },
});
let now = Date.UTC(2026, 5, 1);
const sent: FenceMessage[] = [];
const queue: FenceQueue = { send: async (message) => void sent.push(message) };
let runtime: Runtime;
let ledger: TestLedger;

beforeAll(async () => {
  ledger = await openTestLedger('table', 'sweeper');
  runtime = createRuntime({
    loaded: setup.loaded,
    ledger,
    log: silentLog,
    version: 'test',
    queue,
    clock: { now: () => now, sleep: systemClock.sleep },
  });
});
afterAll(() => ledger?.close());

describe('sweeper', () => {
  it('re-sends a fence whose message was lost (a crash between decision and enqueue)', async () => {
    // Prepare: a decision whose queue message never arrived.
    const { outcome } = await decide(runtime, 'sw', (state, ctx) =>
      decideReport(state, { reporter: 'a', target: 'b' }, ctx),
    );
    const id = outcome.kind === 'accepted' ? outcome.incidentId : '';
    sent.length = 0;
    // Act + Assess: not before 20 s (its message may still be on the way), then re-sent.
    expect((await sweep(runtime)).resent).toBe(0);
    now += 21_000;
    expect((await sweep(runtime)).resent).toBe(1);
    expect(sent).toEqual([{ cluster: 'sw', incidentId: id }]);
  });

  it('re-sends a fence whose worker stopped renewing its lease, and only then', async () => {
    const { outcome } = await decide(runtime, 'sw', (state, ctx) =>
      decideReport(state, { reporter: 'a', target: 'c' }, ctx),
    );
    const id = outcome.kind === 'accepted' ? outcome.incidentId : '';
    await decide(runtime, 'sw', (state, ctx) => claim(state, id, 'dead-worker', 30_000, ctx));
    sent.length = 0;
    now += 25_000;
    await sweep(runtime);
    expect(sent.filter((m) => m.incidentId === id)).toEqual([]);
    now += 6_000;
    await sweep(runtime);
    expect(sent.filter((m) => m.incidentId === id)).toEqual([{ cluster: 'sw', incidentId: id }]);
  });

  it('repairs a projection a crash left behind', async () => {
    const { outcome } = await decide(runtime, 'sw', (state, ctx) =>
      decideReport(state, { reporter: 'd', target: 'e' }, ctx),
    );
    const id = outcome.kind === 'accepted' ? outcome.incidentId : '';
    if (ledger.kind === 'table') await ledger.storage.ledger.deleteEntity('sw', incidentRowKey(id));
    expect(await runtime.incidents.get('sw', id)).toBeUndefined();
    await sweep(runtime);
    expect(await runtime.incidents.get('sw', id)).toMatchObject({
      incidentId: id,
      target: 'e',
      reporters: ['d'],
    });
  });
});
