import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

const setup = writeTestConfig({
  ops: { nodes: { a: {}, b: { dummy: { offDelayMs: 1500 } }, c: {} } },
  quorum: { options: { quorum: 2, quorumWindowSeconds: 2 }, nodes: { a: {}, b: {}, c: {}, d: {} } },
  settle: { options: { settleMs: 1500 }, nodes: { a: { priority: 10 }, b: { priority: 1 } } },
});
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'admin', { sweepMs: 500 });
});
afterAll(() => host?.stop());

const nodeStates = async (cluster: string) => {
  const view = (await setup.client(host.url, 'admin/ops').request('GET', `/v1/clusters/${cluster}`))
    .body as ClusterView;
  return Object.fromEntries(view.nodes.map((n) => [n.name, n.state]));
};

describe('unfence', () => {
  it('is refused while the fence is in flight, then brings the node back and powers it on', async () => {
    const admin = setup.client(host.url, 'admin/ops');
    const report = await setup
      .client(host.url, 'ops/a')
      .request('POST', '/v1/clusters/ops/reports', { target: 'b' });
    const id = (report.body as Incident).incidentId;
    const early = await admin.request('POST', '/v1/clusters/ops/nodes/b/unfence', {});
    expect(early).toMatchObject({ status: 409, body: { code: 'in-flight', incidentId: id } });
    await admin.request('GET', `/v1/clusters/ops/incidents/${id}?waitSeconds=30`);
    expect(await nodeStates('ops')).toEqual({ a: 'member', b: 'fenced', c: 'member' });
    const back = await admin.request('POST', '/v1/clusters/ops/nodes/b/unfence', { powerOn: true });
    expect(back).toMatchObject({
      status: 200,
      body: { node: 'b', state: 'member', previous: 'fenced', powerOn: { ok: true } },
    });
    expect(JSON.parse(readFileSync(setup.statusFile('ops', 'b'), 'utf8'))).toEqual({
      power: 'on',
      powerOffCalls: 1,
      powerOnCalls: 1,
    });
    expect(await nodeStates('ops')).toEqual({ a: 'member', b: 'member', c: 'member' });
    expect((await admin.request('POST', '/v1/clusters/ops/nodes/zz/unfence')).status).toBe(404);
  });
});

describe('quorum', () => {
  it('stays pending with one reporter and expires as quorum-not-reached', async () => {
    const a = setup.client(host.url, 'quorum/a');
    const answer = await a.request('POST', '/v1/clusters/quorum/reports', { target: 'd' });
    expect(answer).toMatchObject({ status: 202, body: { state: 'pending' } });
    expect((await nodeStates('quorum')).d).toBe('suspected');
    const id = (answer.body as Incident).incidentId;
    const ended = (await a.request('GET', `/v1/clusters/quorum/incidents/${id}?waitSeconds=10`))
      .body as Incident;
    expect(ended).toMatchObject({ state: 'refused', refusal: { code: 'quorum-not-reached' } });
    expect((await nodeStates('quorum')).d).toBe('member');
  });

  it('fences once a second distinct reporter joins', async () => {
    const first = await setup
      .client(host.url, 'quorum/a')
      .request('POST', '/v1/clusters/quorum/reports', { target: 'c' });
    const second = await setup
      .client(host.url, 'quorum/b')
      .request('POST', '/v1/clusters/quorum/reports', { target: 'c' });
    expect((second.body as Incident).incidentId).toBe((first.body as Incident).incidentId);
    const id = (first.body as Incident).incidentId;
    const ended = (
      await setup
        .client(host.url, 'quorum/a')
        .request('GET', `/v1/clusters/quorum/incidents/${id}?waitSeconds=10`)
    ).body as Incident;
    expect(ended).toMatchObject({ state: 'fenced', reporters: ['a', 'b'] });
  });
});

describe('settle time', () => {
  it('keeps the higher-priority node when both accuse each other within the window', async () => {
    const a = setup.client(host.url, 'settle/a');
    const b = setup.client(host.url, 'settle/b');
    const fromB = await b.request('POST', '/v1/clusters/settle/reports', { target: 'a' });
    expect(fromB).toMatchObject({ status: 202, body: { state: 'pending' } });
    const fromA = await a.request('POST', '/v1/clusters/settle/reports', { target: 'b' });
    expect(fromA.status).toBe(202);
    const lost = (
      await b.request('GET', `/v1/clusters/settle/incidents/${(fromB.body as Incident).incidentId}`)
    ).body as Incident;
    expect(lost).toMatchObject({ state: 'refused', refusal: { code: 'settle-lost' } });
    const won = (
      await a.request(
        'GET',
        `/v1/clusters/settle/incidents/${(fromA.body as Incident).incidentId}?waitSeconds=15`,
      )
    ).body as Incident;
    expect(won).toMatchObject({ state: 'fenced', target: 'b' });
    expect(await nodeStates('settle')).toEqual({ a: 'member', b: 'fenced' });
  });
});
