import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * Hole 10 (part): every waiting client re-read the ledger every 200 ms; 100 hooks waiting on
 * one incident made 500 ledger reads a second. Long-polls share one watch per incident.
 */
const setup = writeTestConfig({
  wait: { options: { quorum: 2, quorumWindowSeconds: 30 }, nodes: { a: {}, b: {}, c: {} } },
});
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'longpoll');
});
afterAll(() => host?.stop());

describe('long-poll GETs', () => {
  it('twenty clients waiting on one incident share one ledger watch', async () => {
    // Prepare: a pending incident (quorum 2) nothing will end within the wait.
    const a = setup.client(host.url, 'wait/a');
    const opened = await a.request('POST', '/v1/clusters/wait/reports', { target: 'c' });
    const id = (opened.body as Incident).incidentId;
    const incidents = host.runtime.incidents;
    const original = incidents.get.bind(incidents);
    let reads = 0;
    incidents.get = (cluster, incidentId) => {
      reads++;
      return original(cluster, incidentId);
    };

    // Act: 20 clients wait 2 s each.
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        a.request('GET', `/v1/clusters/wait/incidents/${id}?waitSeconds=2`),
      ),
    );
    incidents.get = original;

    // Assess: all answered at the end of the wait, with the pending incident.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    for (const answer of answers) expect(answer.body).toMatchObject({ state: 'pending' });
    // One watch re-reads about every 200 ms: ~10 reads, not 20 clients × 10.
    expect(reads).toBeLessThan(40);
  });

  it('a waiting client learns the terminal state as soon as the watch sees it', async () => {
    const a = setup.client(host.url, 'wait/a');
    const opened = await a.request('POST', '/v1/clusters/wait/reports', { target: 'b' });
    const id = (opened.body as Incident).incidentId;
    const waiting = a.request('GET', `/v1/clusters/wait/incidents/${id}?waitSeconds=20`);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await setup.client(host.url, 'wait/c').request('POST', '/v1/clusters/wait/reports', {
      target: 'b',
    });
    const answer = await waiting;
    expect(answer.body).toMatchObject({ state: 'fenced' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
