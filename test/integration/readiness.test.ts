import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import type { ReadinessView } from '../../core/protocol/readiness.ts';
import { ledgerKinds } from '../support/ledgers.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * DESIGN "Readiness": every device of every level is checked without changing anything; a
 * node is ready (level 1 ok), degraded (level 1 failing, a later level ok) or unfenceable.
 */
const dummy = (cluster: string, file: string, mode?: string) => ({
  dummy: { statusFile: `state/${cluster}/${file}.json`, ...(mode ? { mode } : {}) },
});
const config = () =>
  writeTestConfig({
    paths: {
      options: { readinessIntervalSeconds: 30 },
      nodes: {
        good: {},
        second: { levels: [[dummy('paths', 'second-l1', 'error')], [dummy('paths', 'second-l2')]] },
        none: {
          levels: [[dummy('paths', 'none-l1', 'error')], [dummy('paths', 'none-l2', 'unknown')]],
        },
      },
    },
    revive: { options: { readinessIntervalSeconds: 30 }, nodes: { a: {}, b: {} } },
    hung: {
      options: { readinessIntervalSeconds: 30, levelTimeoutSeconds: 2 },
      nodes: {
        a: {},
        b: { levels: [[dummy('hung', 'bmc', 'ignore')], [dummy('hung', 'pdu')]] },
      },
    },
  });
let setup: ReturnType<typeof config>;
let host: LocalHost;

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() - started > ms) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const viewer = () => setup.client(host.url, 'admin/ops');
const readiness = async (cluster: string) =>
  (await viewer().request('GET', `/v1/clusters/${cluster}/readiness`)).body as ReadinessView;

describe.each(ledgerKinds)('readiness on the %s ledger', (ledger) => {
  beforeAll(async () => {
    setup = config();
    host = await startTestHost(setup.loaded, 'readiness', { readinessTickMs: 250, ledger });
  });
  afterAll(() => host?.stop());

  it('ready, degraded and unfenceable within one interval, and no power call from a check', async () => {
    const view = await until(
      () => readiness('paths'),
      (v) => v.nodes.every((n) => n.readiness !== 'unchecked'),
    );
    expect(Object.fromEntries(view.nodes.map((n) => [n.name, n.readiness]))).toEqual({
      good: 'ready',
      second: 'degraded',
      none: 'unfenceable',
    });
    const second = view.nodes.find((n) => n.name === 'second');
    expect(second?.levels.map((l) => l.devices.map((d) => d.status))).toEqual([
      ['failing'],
      ['ok'],
    ]);
    expect(second?.levels[0]?.devices[0]).toMatchObject({
      driver: 'dummy',
      powerState: 'unknown',
      detail: expect.stringContaining('mode is error'),
      checkedAt: expect.any(String),
      since: expect.any(String),
    });
    expect(view.nodes[0]?.levels[0]?.devices[0]).toMatchObject({ status: 'ok', powerState: 'on' });
    // The cluster view carries each node's readiness too.
    const cluster = (await viewer().request('GET', '/v1/clusters/paths')).body as ClusterView;
    expect(cluster.nodes.map((n) => n.readiness)).toEqual(['ready', 'degraded', 'unfenceable']);
    // Checks read, never act.
    for (const file of ['good', 'second-l2', 'none-l2']) {
      const path = setup.statusFile('paths', file);
      if (existsSync(path))
        expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
          powerOffCalls: 0,
          powerOnCalls: 0,
        });
    }
  });

  it('a fenced node powered on by hand is a member again within one interval', async () => {
    const a = setup.client(host.url, 'revive/a');
    const answer = await a.request('POST', '/v1/clusters/revive/reports', { target: 'b' });
    const id = (answer.body as Incident).incidentId;
    await a.request('GET', `/v1/clusters/revive/incidents/${id}?waitSeconds=30`);
    const file = setup.statusFile('revive', 'b');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), power: 'on' }));
    const view = await until(
      async () => (await viewer().request('GET', '/v1/clusters/revive')).body as ClusterView,
      (v) => v.nodes.find((n) => n.name === 'b')?.state === 'member',
      40_000,
    );
    expect(view.nodes.find((n) => n.name === 'b')?.state).toBe('member');
    const incident = (await a.request('GET', `/v1/clusters/revive/incidents/${id}`))
      .body as Incident;
    expect(incident.attempts.at(-1)).toMatchObject({ driver: 'readiness', outcome: 'on' });
  });

  it('a hung level-1 device that still reads on does not bring back a node another level fenced', async () => {
    const a = setup.client(host.url, 'hung/a');
    const answer = await a.request('POST', '/v1/clusters/hung/reports', { target: 'b' });
    const id = (answer.body as Incident).incidentId;
    const done = (await a.request('GET', `/v1/clusters/hung/incidents/${id}?waitSeconds=30`))
      .body as Incident;
    expect(done.attempts.map((x) => [x.level, x.outcome])).toEqual([
      [1, 'timeout'],
      [2, 'off'],
    ]);
    // Readiness re-checks b at once after its fence; level 1 reads on (it never turns off).
    const view = await until(
      () => readiness('hung'),
      (v) => (v.nodes[1]?.levels[0]?.devices[0]?.checkedAt ?? '') > done.updatedAt,
    );
    expect(view.nodes[1]?.levels[0]?.devices[0]?.powerState).toBe('on');
    const cluster = (await viewer().request('GET', '/v1/clusters/hung')).body as ClusterView;
    expect(cluster.nodes.find((n) => n.name === 'b')?.state).toBe('fenced');
  });
});
