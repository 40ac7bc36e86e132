import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../core/arbiter/arbiter.ts';
import { decideReport } from '../../core/arbiter/report.ts';
import type { ClusterState } from '../../core/arbiter/state.ts';
import { ClusterStore } from '../../core/ledger/clusterStore.ts';
import type { FenceMessage, FenceQueue } from '../../core/ledger/fenceQueue.ts';
import { silentLog } from '../../core/log.ts';
import { createRuntime, type Runtime } from '../../core/runtime.ts';
import { processFenceMessage } from '../../core/worker/fenceWorker.ts';
import { openTestLedger, type TestLedger } from '../support/ledgers.ts';
import { writeTestConfig } from '../support/testCluster.ts';

/**
 * Hole 5: one failed lease renewal ended the keep-alive loop; the lease expired while the
 * worker went on fencing, a second worker claimed the incident, and both fenced at once.
 * DESIGN "Exactly one worker": renewals are retried within the lease's margin, and a worker
 * that cannot renew stops calling drivers before its lease can expire.
 */
const setup = writeTestConfig({
  lease: {
    options: { maxConcurrentFences: 2, minSurvivors: 0 },
    nodes: { a: {}, b: { dummy: { offDelayMs: 6_000 } }, c: { dummy: { offDelayMs: 2_500 } } },
  },
});
const leaseMs = 3_000;
let ledger: TestLedger;

beforeAll(async () => {
  ledger = await openTestLedger('table', 'lease');
});
afterAll(() => ledger?.close());

/** A cluster entity whose writes fail on demand (a storage outage as the worker sees it). */
class FlakyClusterStore extends ClusterStore {
  failures = 0;
  override async write(cluster: string, state: ClusterState, etag: string | undefined) {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('storage unavailable'), { statusCode: 503 });
    }
    return super.write(cluster, state, etag);
  }
}

function worker(owner: string): Runtime & { clusters: FlakyClusterStore } {
  const queue: FenceQueue = { send: async () => {} };
  const runtime = createRuntime({
    loaded: setup.loaded,
    ledger,
    log: silentLog,
    version: 'test',
    queue,
    owner,
    leaseMs,
  });
  return Object.assign(runtime, { clusters: new FlakyClusterStore(ledger.documents) });
}

async function accepted(target: string): Promise<FenceMessage> {
  const { outcome } = await decide(worker('reporter'), 'lease', (state, ctx) =>
    decideReport(state, { reporter: 'a', target }, ctx),
  );
  expect(outcome).toMatchObject({ kind: 'accepted', status: 202 });
  return { cluster: 'lease', incidentId: outcome.kind === 'accepted' ? outcome.incidentId : '' };
}

const powerOffCalls = (node: string): number =>
  JSON.parse(readFileSync(setup.statusFile('lease', node), 'utf8')).powerOffCalls;

describe('lease renewal', () => {
  it('a worker that cannot renew stops before its lease expires; the next one finishes alone', async () => {
    // Prepare: every write after the claim fails.
    const message = await accepted('b');
    const first = worker('instance-1');
    const claimedAt = Date.now();
    const running = processFenceMessage(first, message);
    await new Promise((r) => setTimeout(r, 200));
    first.clusters.failures = Number.POSITIVE_INFINITY;

    // Act
    const result = await running;
    const stoppedAfter = Date.now() - claimedAt;

    // Assess: it gave up without a verdict, before the lease could lapse.
    expect(result).toBe('aborted');
    expect(stoppedAfter).toBeLessThan(leaseMs);
    await new Promise((r) => setTimeout(r, leaseMs - stoppedAfter + 100));
    const second = await processFenceMessage(worker('instance-2'), message);
    expect(second).toBe('fenced');
    const incident = await worker('reader').incidents.get('lease', message.incidentId);
    expect(incident?.state).toBe('fenced');
  });

  it('transient renewal errors are retried and the fence goes on to its verdict', async () => {
    const message = await accepted('c');
    const only = worker('instance-3');
    const running = processFenceMessage(only, message);
    await new Promise((r) => setTimeout(r, 200));
    only.clusters.failures = 2;
    expect(await running).toBe('fenced');
    expect(powerOffCalls('c')).toBe(1);
  });
});
