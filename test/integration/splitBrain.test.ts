import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import { ledgerKinds } from '../support/ledgers.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

const trials = 200;
const clusters = Object.fromEntries(
  Array.from({ length: trials }, (_, i) => [
    `sb-${i}`,
    { nodes: { a: { priority: 1 }, b: { priority: 1 } } },
  ]),
);

describe.each(ledgerKinds)('split brain on the %s ledger', (kind) => {
  const setup = writeTestConfig(clusters);
  let host: LocalHost;

  beforeAll(async () => {
    host = await startTestHost(setup.loaded, 'splitbrain', { ledger: kind });
  });
  afterAll(() => host?.stop());

  /** Both nodes of a 2-node cluster accuse each other at the same instant. */
  async function trial(i: number) {
    const cluster = `sb-${i}`;
    const a = setup.client(host.url, `${cluster}/a`);
    const b = setup.client(host.url, `${cluster}/b`);
    // Either may go out first: on SQLite the first to arrive decides at once (no I/O between).
    const [first, second] = Math.random() < 0.5 ? [a, b] : [b, a];
    const answers = await Promise.all(
      [first, second].map((client) =>
        client.request('POST', `/v1/clusters/${cluster}/reports`, {
          target: client === a ? 'b' : 'a',
          reason: 'split brain',
        }),
      ),
    );
    const accepted = answers.filter((r) => r.status === 202);
    const refused = answers.filter((r) => r.status === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.body).toMatchObject({ code: 'reporter-fenced' });
    const incident = accepted[0]?.body as Incident;
    const done = await a.request(
      'GET',
      `/v1/clusters/${cluster}/incidents/${incident.incidentId}?waitSeconds=60`,
    );
    const view = (await a.request('GET', `/v1/clusters/${cluster}`)).body as ClusterView;
    const list = (await a.request('GET', `/v1/clusters/${cluster}/incidents`)).body as {
      incidents: Incident[];
    };
    return { incident: done.body as Incident, view, list, cluster };
  }

  it(`${trials} trials: exactly one node fenced, the other report 409 reporter-fenced`, async () => {
    const results = [];
    for (let batch = 0; batch < trials; batch += 20) {
      results.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => trial(batch + k)))));
    }
    let winnersA = 0;
    for (const { incident, view, list, cluster } of results) {
      expect(incident.state).toBe('fenced');
      expect(list.incidents.filter((i) => i.state === 'fenced')).toHaveLength(1);
      expect(list.incidents).toHaveLength(1);
      const states = Object.fromEntries(view.nodes.map((n) => [n.name, n.state]));
      const loser = incident.target;
      const survivor = loser === 'a' ? 'b' : 'a';
      expect(states).toEqual({ [loser]: 'fenced', [survivor]: 'member' });
      const power = (node: string) =>
        JSON.parse(readFileSync(setup.statusFile(cluster, node), 'utf8'));
      expect(power(loser)).toMatchObject({ power: 'off', powerOffCalls: 1 });
      if (survivor === 'a') winnersA++;
    }
    // Who wins is a race; both sides must be able to win it.
    console.info(
      `split brain (${kind}): ${trials} trials, node a survived ${winnersA} times, node b ${trials - winnersA} times`,
    );
    expect(winnersA).toBeGreaterThan(0);
    expect(winnersA).toBeLessThan(trials);
  }, 180_000);
});
