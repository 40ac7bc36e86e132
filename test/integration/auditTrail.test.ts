import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import { clusterRowKey } from '../../core/ledger/clusterStore.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * Hole 9: refused reports (the split-brain loser's 409) appeared only in a log line.
 * Hole 4a: report reasons were copied into the cluster entity, whose one property holds at most
 * 64 KiB: long, control-character reasons filled it and every later decision failed with 500.
 */
const setup = writeTestConfig({
  pair: { nodes: { a: { priority: 1 }, b: { priority: 1 } } },
  self: { nodes: { a: {}, b: {} } },
  storm: {
    options: { maxConcurrentFences: 1 },
    nodes: { a: {}, b: { dummy: { offDelayMs: 1500 } }, c: {}, d: {} },
  },
  texts: { options: { minSurvivors: 0 }, nodes: { a: {}, b: {}, c: {} } },
});
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'audit');
});
afterAll(() => host?.stop());

const waitFor = (cluster: string, keyId: string, id: string) =>
  setup
    .client(host.url, keyId)
    .request('GET', `/v1/clusters/${cluster}/incidents/${id}?waitSeconds=30`)
    .then((r) => r.body as Incident);

describe('refused reports are in the ledger', () => {
  it("the split-brain loser's report is listed on the incident it lost to", async () => {
    const a = setup.client(host.url, 'pair/a');
    const b = setup.client(host.url, 'pair/b');
    const first = await a.request('POST', '/v1/clusters/pair/reports', { target: 'b' });
    const lost = await b.request('POST', '/v1/clusters/pair/reports', { target: 'a' });
    expect(lost).toMatchObject({ status: 409, body: { code: 'reporter-fenced' } });
    const incident = await waitFor('pair', 'pair/a', (first.body as Incident).incidentId);
    expect(incident.refusedReports).toEqual([
      { reporter: 'b', at: expect.any(String), code: 'reporter-fenced' },
    ]);
  });

  it('a self-report is on record too', async () => {
    const a = setup.client(host.url, 'self/a');
    const answer = await a.request('POST', '/v1/clusters/self/reports', { target: 'a' });
    expect(answer).toMatchObject({ status: 409, body: { code: 'self-report' } });
    const list = (await a.request('GET', '/v1/clusters/self/incidents')).body as {
      incidents: Incident[];
    };
    expect(list.incidents).toMatchObject([
      { target: 'a', state: 'refused', refusedReports: [{ reporter: 'a', code: 'self-report' }] },
    ]);
  });

  it('a storm-guard refusal names its reporter', async () => {
    const a = setup.client(host.url, 'storm/a');
    await a.request('POST', '/v1/clusters/storm/reports', { target: 'b' });
    const refused = await a.request('POST', '/v1/clusters/storm/reports', { target: 'c' });
    expect(refused).toMatchObject({ status: 429, body: { code: 'storm-guard' } });
    const incident = (refused.body as { incident: Incident }).incident;
    const stored = await waitFor('storm', 'storm/a', incident.incidentId);
    expect(stored.refusedReports).toMatchObject([{ reporter: 'a', code: 'storm-guard' }]);
  });
});

describe('free text stays out of the cluster entity', () => {
  it('a reason with control characters is 400 invalid-request', async () => {
    const a = setup.client(host.url, 'texts/a');
    for (const reason of ['line\nbreak', 'bell\u0007', 'nul\u0000', 'del\u007f', 'c1\u0085']) {
      const answer = await a.request('POST', '/v1/clusters/texts/reports', { target: 'b', reason });
      expect(answer).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
    }
  });

  it('after 40 incidents with the longest reasons the cluster still decides, and keeps them', async () => {
    const reason = `${'"\\é€'.repeat(127)}done`;
    expect(reason.length).toBe(512);
    const a = setup.client(host.url, 'texts/a');
    const admin = setup.client(host.url, 'admin/ops');
    let last = '';
    for (let i = 0; i < 40; i++) {
      const target = i % 2 === 0 ? 'b' : 'c';
      const answer = await a.request('POST', '/v1/clusters/texts/reports', { target, reason });
      expect(answer.status).toBe(202);
      last = (answer.body as Incident).incidentId;
      await waitFor('texts', 'texts/a', last);
      expect(
        (await admin.request('POST', `/v1/clusters/texts/nodes/${target}/unfence`)).status,
      ).toBe(200);
    }
    expect((await waitFor('texts', 'texts/a', last)).reason).toBe(reason);
    const entity = await host.runtime.clusters.read('texts');
    expect(JSON.stringify(entity.state)).not.toContain('done');
  });
});

// The cluster entity's row key is part of the ledger's contract (DESIGN "Ledger").
expect(clusterRowKey).toBe('cluster');
