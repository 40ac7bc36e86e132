import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

const setup = writeTestConfig({
  one: {
    options: { levelTimeoutSeconds: 3, fenceDeadlineSeconds: 20 },
    nodes: { a: {}, b: { dummy: { mode: 'ignore' } } },
  },
  two: {
    options: { levelTimeoutSeconds: 3, fenceDeadlineSeconds: 20 },
    nodes: {
      a: {},
      b: {
        levels: [
          [{ dummy: { statusFile: 'state/two/b-ipmi.json', mode: 'ignore' } }],
          [{ dummy: { statusFile: 'state/two/b-pdu.json', offDelayMs: 300 } }],
        ],
      },
    },
  },
  unknown: {
    options: { fenceDeadlineSeconds: 5 },
    nodes: { a: {}, b: { dummy: { mode: 'unknown' } } },
  },
});
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'verify');
});
afterAll(() => host?.stop());

async function fence(cluster: string) {
  const a = setup.client(host.url, `${cluster}/a`);
  const started = Date.now();
  const answer = await a.request('POST', `/v1/clusters/${cluster}/reports`, { target: 'b' });
  const id = (answer.body as Incident).incidentId;
  const incident = (
    await a.request('GET', `/v1/clusters/${cluster}/incidents/${id}?waitSeconds=60`)
  ).body as Incident;
  const view = (await a.request('GET', `/v1/clusters/${cluster}`)).body as ClusterView;
  return { incident, view, seconds: (Date.now() - started) / 1000 };
}

describe('verification', () => {
  it('a target that ignores power-off ends failed after its level timeout, never fenced', async () => {
    const { incident, view, seconds } = await fence('one');
    expect(incident.state).toBe('failed');
    expect(incident.attempts).toEqual([expect.objectContaining({ level: 1, outcome: 'timeout' })]);
    expect(view.nodes.find((n) => n.name === 'b')?.state).toBe('failed');
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThan(10);
    expect(JSON.parse(readFileSync(setup.statusFile('one', 'b'), 'utf8'))).toMatchObject({
      power: 'on',
      powerOffCalls: 1,
    });
  });

  it('with a second level that works, it ends fenced by level 2', async () => {
    const { incident } = await fence('two');
    expect(incident.state).toBe('fenced');
    expect(incident.attempts.map((a) => [a.level, a.outcome])).toEqual([
      [1, 'timeout'],
      [2, 'off'],
    ]);
  });

  it('a target whose state reads unknown ends failed at the deadline', async () => {
    const { incident } = await fence('unknown');
    expect(incident.state).toBe('failed');
    expect(incident.attempts[0]?.outcome).toBe('timeout');
  });
});
