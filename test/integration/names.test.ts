import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * Hole 4b of the adversarial review: names from the wire indexed plain objects, so targets
 * such as `constructor` passed the "is a node" check (`in` sees Object.prototype), got 202 and
 * a fencing incident the worker crashed on, holding the maxConcurrentFences slot.
 * A name the config does not define is unknown whatever it is; one it defines works.
 */
const setup = writeTestConfig({
  proto: { nodes: { a: {}, b: {}, c: {} } },
  // Valid names that happen to be Object.prototype members: they must work like any other.
  constructor: { nodes: { toString: {}, valueOf: {}, hasOwnProperty: {} } },
});
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'names');
});
afterAll(() => host?.stop());

const prototypeNames = [
  'constructor',
  'toString',
  'hasOwnProperty',
  '__proto__',
  'valueOf',
  'isPrototypeOf',
];

describe('names that are Object.prototype members', () => {
  it.each(prototypeNames)(
    'a report about target %s is 403 forbidden and opens nothing',
    async (t) => {
      const a = setup.client(host.url, 'proto/a');
      const answer = await a.request('POST', '/v1/clusters/proto/reports', { target: t });
      expect(answer).toMatchObject({ status: 403, body: { code: 'forbidden' } });
      const list = await a.request('GET', '/v1/clusters/proto/incidents');
      expect((list.body as { incidents: Incident[] }).incidents).toEqual([]);
    },
  );

  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'admin requests naming cluster or node %s are 404, never 500',
    async (name) => {
      const admin = setup.client(host.url, 'admin/ops');
      // `constructor` is a configured cluster here; use another prototype name for it.
      const cluster = name === 'constructor' ? 'isPrototypeOf' : name;
      expect((await admin.request('GET', `/v1/clusters/${cluster}`)).status).toBe(404);
      expect(
        (await admin.request('POST', `/v1/clusters/${cluster}/nodes/a/unfence`, {})).status,
      ).toBe(404);
      expect(
        (await admin.request('POST', `/v1/clusters/proto/nodes/${name}/unfence`, {})).status,
      ).toBe(404);
      expect(
        (await admin.request('GET', `/v1/clusters/${cluster}/incidents/x?waitSeconds=0`)).status,
      ).toBe(404);
    },
  );

  it('a cluster named constructor with nodes named toString and valueOf fences like any other', async () => {
    const reporter = setup.client(host.url, 'constructor/toString');
    const answer = await reporter.request('POST', '/v1/clusters/constructor/reports', {
      target: 'valueOf',
    });
    expect(answer.status).toBe(202);
    const id = (answer.body as Incident).incidentId;
    const done = await reporter.request(
      'GET',
      `/v1/clusters/constructor/incidents/${id}?waitSeconds=30`,
    );
    expect(done.body).toMatchObject({ state: 'fenced', target: 'valueOf' });
    expect(
      JSON.parse(readFileSync(setup.statusFile('constructor', 'valueOf'), 'utf8')).powerOffCalls,
    ).toBe(1);
  });
});
