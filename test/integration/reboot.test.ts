import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * DESIGN "Node side": a report may ask for a reboot (Pacemaker's default stonith-action). The
 * incident is `fenced` as soon as the target is verified off — the reporter may fail over
 * then — and Fencer powers it on again; the node is a `member` once it is on.
 */
const setup = writeTestConfig({
  boot: { options: { maxConcurrentFences: 2 }, nodes: { a: {}, b: {}, c: {} } },
});
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'reboot');
});
afterAll(() => host?.stop());

const states = async (cluster: string) => {
  const view = (await setup.client(host.url, 'admin/ops').request('GET', `/v1/clusters/${cluster}`))
    .body as ClusterView;
  return Object.fromEntries(view.nodes.map((n) => [n.name, n.state]));
};
const power = (cluster: string, node: string) =>
  JSON.parse(readFileSync(setup.statusFile(cluster, node), 'utf8'));

async function until(check: () => Promise<boolean>, ms = 10_000) {
  for (const started = Date.now(); Date.now() - started < ms; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

describe('reboot', () => {
  it('fenced once verified off, then powered on; a member again once on', async () => {
    const a = setup.client(host.url, 'boot/a');
    const answer = await a.request('POST', '/v1/clusters/boot/reports', {
      target: 'b',
      action: 'reboot',
    });
    expect(answer).toMatchObject({ status: 202, body: { action: 'reboot' } });
    const id = (answer.body as Incident).incidentId;
    const done = await a.request('GET', `/v1/clusters/boot/incidents/${id}?waitSeconds=30`);
    expect(done.body).toMatchObject({ state: 'fenced', action: 'reboot' });
    await until(async () => (await states('boot')).b === 'member');
    expect(power('boot', 'b')).toEqual({ power: 'on', powerOffCalls: 1, powerOnCalls: 1 });
    const final = (await a.request('GET', `/v1/clusters/boot/incidents/${id}`)).body as Incident;
    expect(final.attempts.map((x) => [x.level, x.outcome])).toEqual([
      [1, 'off'],
      [1, 'on'],
    ]);
  });

  it('an off report joining a reboot makes it an off: the more careful action wins', async () => {
    const a = setup.client(host.url, 'boot/a');
    const first = await a.request('POST', '/v1/clusters/boot/reports', {
      target: 'c',
      action: 'reboot',
    });
    const joined = await setup
      .client(host.url, 'boot/b')
      .request('POST', '/v1/clusters/boot/reports', { target: 'c' });
    expect((joined.body as Incident).incidentId).toBe((first.body as Incident).incidentId);
    const id = (first.body as Incident).incidentId;
    const done = await a.request('GET', `/v1/clusters/boot/incidents/${id}?waitSeconds=30`);
    expect(done.body).toMatchObject({ state: 'fenced', action: 'off' });
    await new Promise((r) => setTimeout(r, 500));
    expect(power('boot', 'c')).toMatchObject({ power: 'off', powerOnCalls: 0 });
    expect((await states('boot')).c).toBe('fenced');
  });
});
