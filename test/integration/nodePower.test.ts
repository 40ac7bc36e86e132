import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { NodePowerReading } from '../../core/protocol/readiness.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * GET /v1/clusters/{cluster}/nodes/{node}/power (README "Using with Pacemaker", API addition): the live power read
 * through the node's levels, first level that answers; unknown is never off; nothing powered.
 */
const dummy = (file: string, mode?: string) => ({
  dummy: { statusFile: `state/p/${file}.json`, ...(mode ? { mode } : {}) },
});
const setup = writeTestConfig({
  p: {
    // No scheduled readiness: its first check creates a missing status file `on`, which could
    // land after a test wrote the file (the reads under test are the route's own).
    options: { readinessIntervalSeconds: 0 },
    nodes: {
      plain: {},
      twoPsu: { levels: [[dummy('psu1'), dummy('psu2')]] },
      l1broken: { levels: [[dummy('l1broken-bmc', 'error')], [dummy('l1broken-pdu')]] },
      none: { levels: [[dummy('none-bmc', 'error')], [dummy('none-pdu', 'unknown')]] },
    },
  },
  other: { nodes: { x: {}, y: {} } },
});
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'nodePower');
});
afterAll(() => host?.stop());

const statusFile = (file: string) => `${setup.dir}/state/p/${file}.json`;
const setPower = (file: string, power: 'on' | 'off') => {
  mkdirSync(dirname(statusFile(file)), { recursive: true });
  writeFileSync(statusFile(file), JSON.stringify({ power, powerOffCalls: 0, powerOnCalls: 0 }));
};
const calls = (file: string) => {
  const s = JSON.parse(readFileSync(statusFile(file), 'utf8'));
  return s.powerOffCalls + s.powerOnCalls;
};

async function power(node: string, keyId = 'p/plain', query = '') {
  const answer = await setup
    .client(host.url, keyId)
    .request('GET', `/v1/clusters/p/nodes/${node}/power${query}`);
  return { status: answer.status, body: answer.body as NodePowerReading & { code?: string } };
}

describe('GET .../nodes/{node}/power', () => {
  it('reads on and off at the device, whatever Fencer holds the node as', async () => {
    setPower('plain', 'on');
    expect((await power('plain', 'p/twoPsu')).body).toMatchObject({
      cluster: 'p',
      node: 'plain',
      powerState: 'on',
      level: 1,
      devices: [{ level: 1, driver: 'dummy', powerState: 'on' }],
    });
    setPower('plain', 'off');
    expect((await power('plain', 'p/twoPsu')).body).toMatchObject({ powerState: 'off', level: 1 });
    // The node is a member in Fencer's records all along: the answer is the device's.
    const view = await setup.client(host.url, 'admin/ops').request('GET', '/v1/clusters/p');
    expect(JSON.stringify(view.body)).toContain('"name":"plain","state":"member"');
    expect(calls('plain')).toBe(0);
  });

  it('a level is off only when every device reads off, on when any reads on', async () => {
    setPower('psu1', 'off');
    setPower('psu2', 'on');
    expect((await power('twoPsu')).body.powerState).toBe('on');
    setPower('psu2', 'off');
    expect((await power('twoPsu')).body.powerState).toBe('off');
  });

  it('a failing level 1 leaves the answer to level 2', async () => {
    setPower('l1broken-pdu', 'off');
    const broken = (await power('l1broken')).body;
    expect(broken).toMatchObject({ powerState: 'off', level: 2 });
    expect(broken.devices[0]).toMatchObject({
      level: 1,
      powerState: 'unknown',
      detail: expect.stringContaining('mode is error'),
    });
  });

  it('no level answering is unknown (with each level’s reason), never off', async () => {
    const { status, body } = await power('none');
    expect(status).toBe(200);
    expect(body.powerState).toBe('unknown');
    expect(body.level).toBeUndefined();
    expect(body.detail).toMatch(
      /no level answered: level 1 .*mode is error.*; level 2 .*reads unknown/,
    );
  });

  it('node keys of the cluster, viewers and admins read; others are refused', async () => {
    expect((await power('plain', 'admin/ops')).status).toBe(200);
    const foreign = await power('plain', 'other/x');
    expect(foreign).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect((await power('nobody')).body.code).toBe('not-found');
    expect((await power('constructor')).body.code).toBe('not-found');
    expect((await power('plain', 'p/plain', '?timeoutSeconds=0')).body.code).toBe(
      'invalid-request',
    );
    const post = await setup
      .client(host.url, 'p/plain')
      .request('POST', '/v1/clusters/p/nodes/plain/power', {});
    expect(post.status).toBe(405);
  });
});
