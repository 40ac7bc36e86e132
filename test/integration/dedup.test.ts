import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { ledgerKinds } from '../support/ledgers.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

describe.each(ledgerKinds)('one fence per incident on the %s ledger', (kind) => {
  const setup = writeTestConfig({
    four: { nodes: { a: {}, b: {}, c: {}, d: { dummy: { offDelayMs: 800 } } } },
    events: { options: { maxConcurrentFences: 3 }, nodes: { a: {}, b: {}, c: {}, d: {}, e: {} } },
    retry: {
      options: { fenceDeadlineSeconds: 6 },
      nodes: { a: {}, b: {}, c: { dummy: { mode: 'error' } } },
    },
  });
  let host: LocalHost;

  beforeAll(async () => {
    host = await startTestHost(setup.loaded, 'dedup', { ledger: kind });
  });
  afterAll(() => host?.stop());

  it('20 concurrent reports from 3 reporters about one target → one incident, one power-off', async () => {
    // Prepare
    const reporters = ['a', 'b', 'c'].map((n) => setup.client(host.url, `four/${n}`));
    const a = setup.client(host.url, 'four/a');
    // Act
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (reporters[i % 3] ?? a).request('POST', '/v1/clusters/four/reports', {
          target: 'd',
          reason: `heartbeat lost #${i}`,
        }),
      ),
    );
    // Assess
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(202));
    const ids = new Set(answers.map((r) => (r.body as Incident).incidentId));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const done = (await a.request('GET', `/v1/clusters/four/incidents/${id}?waitSeconds=30`))
      .body as Incident;
    expect(done).toMatchObject({ state: 'fenced', target: 'd' });
    expect(done.reporters.sort()).toEqual(['a', 'b', 'c']);
    expect(JSON.parse(readFileSync(setup.statusFile('four', 'd'), 'utf8'))).toEqual({
      power: 'off',
      powerOffCalls: 1,
      powerOnCalls: 0,
    });
    const list = (await a.request('GET', '/v1/clusters/four/incidents?limit=50')).body as {
      incidents: Incident[];
    };
    expect(list.incidents.map((i) => i.incidentId)).toEqual([id]);
    // A late report about the fenced target gets 200 and the same incident, and no new fence.
    const late = await setup
      .client(host.url, 'four/b')
      .request('POST', '/v1/clusters/four/reports', { target: 'd' });
    expect(late.status).toBe(200);
    expect((late.body as Incident).incidentId).toBe(id);
    expect(late.headers.get('location')).toBe(`/api/v1/clusters/four/incidents/${id}`);
  });

  it('the same eventId retried returns the same incident, even after it failed', async () => {
    const a = setup.client(host.url, 'retry/a');
    const first = await a.request('POST', '/v1/clusters/retry/reports', {
      target: 'c',
      eventId: 'lk-event:42',
    });
    expect(first.status).toBe(202);
    const id = (first.body as Incident).incidentId;
    const retried = await a.request('POST', '/v1/clusters/retry/reports', {
      target: 'c',
      eventId: 'lk-event:42',
    });
    expect((retried.body as Incident).incidentId).toBe(id);
    const failed = (await a.request('GET', `/v1/clusters/retry/incidents/${id}?waitSeconds=30`))
      .body as Incident;
    expect(failed.state).toBe('failed');
    const afterFailure = await a.request('POST', '/v1/clusters/retry/reports', {
      target: 'c',
      eventId: 'lk-event:42',
    });
    expect(afterFailure.status).toBe(202);
    expect((afterFailure.body as Incident).incidentId).toBe(id);
    // Without the eventId it is a new report: a failed target gets a new incident (a new attempt).
    const fresh = await a.request('POST', '/v1/clusters/retry/reports', { target: 'c' });
    expect((fresh.body as Incident).incidentId).not.toBe(id);
  });

  it('the same eventId about another target is 409 event-conflict, never the first incident', async () => {
    // Hole 2: `fencer report --target c` exited 0 with b's incident while c was never touched.
    const a = setup.client(host.url, 'events/a');
    const first = await a.request('POST', '/v1/clusters/events/reports', {
      target: 'b',
      eventId: 'lk-event:reused',
    });
    expect(first.status).toBe(202);
    const other = await a.request('POST', '/v1/clusters/events/reports', {
      target: 'c',
      eventId: 'lk-event:reused',
    });
    expect(other).toMatchObject({ status: 409, body: { code: 'event-conflict' } });
    const list = (await a.request('GET', '/v1/clusters/events/incidents')).body as {
      incidents: Incident[];
    };
    expect(list.incidents.map((i) => i.target)).toEqual(['b']);
  });

  it('two reports racing with one eventId about two targets: one decided, the other event-conflict', async () => {
    const e = setup.client(host.url, 'events/e');
    const answers = await Promise.all(
      ['c', 'd'].map((target) =>
        e.request('POST', '/v1/clusters/events/reports', { target, eventId: 'race:1' }),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(answers.find((r) => r.status === 409)?.body).toMatchObject({ code: 'event-conflict' });
  });
});
