import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../core/protocol/api.ts';
import type { ReadinessView } from '../../core/protocol/readiness.ts';
import { ensureDebianPackages } from '../support/debianPackages.ts';
import { agentBin, runTimed, startServe } from '../support/processes.ts';
import { writeTestConfig } from '../support/testCluster.ts';

/**
 * fence_fencer, the real binary, as Pacemaker runs it (options on stdin), against a real
 * `fencer serve`: what each action answers, and that it answers from the devices, not from
 * Fencer's records (DESIGN "Node side").
 */
const run = promisify(execFile);
const setup = writeTestConfig({
  pm: {
    nodes: { a: {}, b: {}, c: {}, d: {} },
    // No scheduled readiness in pm: a check reading a fenced node on makes it a member again
    // (DESIGN "Node side"), which would race the test that powers c on by hand.
    options: { fenceDeadlineSeconds: 10, maxConcurrentFences: 3, readinessIntervalSeconds: 0 },
  },
  // Node z's only device fails: once readiness has checked it, z is unfenceable. w's device
  // takes the power-off and never turns off (a hung BMC): its fence ends at Fencer's deadline.
  broken: {
    nodes: { y: {}, z: { dummy: { mode: 'error' } }, w: { dummy: { mode: 'ignore' } } },
    options: { fenceDeadlineSeconds: 5 },
  },
});
let serve: Awaited<ReturnType<typeof startServe>>;
const keyFile = (keyId: string) => {
  const file = join(setup.dir, `${keyId.replace('/', '_')}.key`);
  writeFileSync(file, `${setup.secret(keyId)}\n`, { mode: 0o600 });
  return file;
};
const power = (node: string) => JSON.parse(readFileSync(setup.statusFile('pm', node), 'utf8'));
const setPower = (node: string, state: 'on' | 'off') =>
  writeFileSync(setup.statusFile('pm', node), JSON.stringify({ ...power(node), power: state }));

/** fence_fencer with `key=value` lines on stdin, signed as `keyId`. */
function agent(options: Record<string, string>, keyId = 'pm/a') {
  const lines = {
    fencer_url: serve.url,
    key_id: keyId,
    secret_file: keyFile(keyId),
    ...options,
  };
  const input = `${Object.entries(lines)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
  return runTimed(agentBin, [], { input, killAfterMs: 90_000 });
}

async function nodeState(cluster: string, node: string): Promise<string | undefined> {
  const view = await setup.client(serve.url, 'admin/ops').request('GET', `/v1/clusters/${cluster}`);
  return (view.body as { nodes: { name: string; state: string }[] }).nodes.find(
    (n) => n.name === node,
  )?.state;
}

beforeAll(async () => {
  ensureDebianPackages(['libxml2-utils', 'fence-agents']);
  serve = await startServe(['--config', setup.file], setup.env);
});
afterAll(async () => {
  expect(await serve?.stop()).toBe(0);
});

describe('fence_fencer', () => {
  it('prints metadata that validates against the fence-agents schema', async () => {
    const { code, stdout } = await runTimed(agentBin, ['-o', 'metadata']);
    expect(code).toBe(0);
    expect(stdout).toContain('<action name="list-status" />');
    expect(stdout).toContain('<parameter name="status_timeout"');
    const file = join(setup.dir, 'fence_fencer.xml');
    writeFileSync(file, stdout);
    await run('xmllint', ['--noout', '--relaxng', '/usr/share/cluster/relaxng/metadata.rng', file]);
  });

  it('off through stdin, as Pacemaker sends it, fences the node via the API', async () => {
    const off = await agent({ action: 'off', nodename: 'c', port: 'c', nodeid: '3' });
    expect(off.stdout).toBe('Success: Powered OFF\n');
    expect(off.code).toBe(0);
    expect(power('c')).toMatchObject({ power: 'off', powerOffCalls: 1 });
  });

  it('list names each node once (one target each for Pacemaker); list-status reads each', async () => {
    const list = await agent({ action: 'list' });
    expect(list.code).toBe(0);
    expect(list.stdout).toBe('a,\nb,\nc,\nd,\n');
    const listStatus = await agent({ action: 'list-status' });
    expect(listStatus.code).toBe(0);
    expect(listStatus.stdout).toBe('a,,ON\nb,,ON\nc,,OFF\nd,,ON\n');
  });

  it('status reads the power at the device: a fenced node powered on by hand reads on', async () => {
    // c was fenced above; Fencer still holds it fenced.
    expect(await nodeState('pm', 'c')).toBe('fenced');
    const off = await agent({ action: 'status', plug: 'c' });
    expect({ code: off.code, stdout: off.stdout }).toEqual({ code: 2, stdout: 'Status: OFF\n' });
    // Someone powers c on at its device (no unfence): status says so, Fencer's record aside.
    setPower('c', 'on');
    const on = await agent({ action: 'status', plug: 'c' });
    expect({ code: on.code, stdout: on.stdout }).toEqual({ code: 0, stdout: 'Status: ON\n' });
    expect(await nodeState('pm', 'c')).toBe('fenced');
    // Reading changed nothing at the device.
    expect(power('c')).toMatchObject({ powerOffCalls: 1, powerOnCalls: 0 });
  });

  it('status: 1 with the reason when the power cannot be read, never 2', async () => {
    const z = await agent({ action: 'status', plug: 'z' }, 'broken/y');
    expect(z.code).toBe(1);
    expect(z.stdout).toBe('');
    expect(z.stderr).toMatch(
      /^Failed: the power of z is unknown: no level answered: level 1 .*mode is error/,
    );
    const stranger = await agent({ action: 'status', plug: 'nobody' });
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain('not-found: nobody is not a node of cluster pm');
  });

  it('reboot needs no admin key: fenced once verified off, then Fencer powers the node on', async () => {
    const reboot = await agent({ action: 'reboot', port: 'd', nodename: 'd' });
    expect(reboot.stdout).toBe('Success: Rebooted\n');
    expect(reboot.code).toBe(0);
    // The power-on follows the answer: d is a member again once Fencer has powered it on.
    const deadline = Date.now() + 20_000;
    while ((await nodeState('pm', 'd')) !== 'member' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(await nodeState('pm', 'd')).toBe('member');
    expect(power('d')).toMatchObject({ power: 'on', powerOffCalls: 1, powerOnCalls: 1 });
    const incidents = await setup
      .client(serve.url, 'admin/ops')
      .request('GET', '/v1/clusters/pm/incidents?limit=5');
    const incident = (incidents.body as { incidents: Incident[] }).incidents.find(
      (i) => i.target === 'd',
    );
    expect(incident).toMatchObject({ action: 'reboot', state: 'fenced', reporters: ['a'] });
    expect(incident?.attempts.map((a) => a.outcome)).toEqual(['off', 'on']);
    expect((await agent({ action: 'status', plug: 'd' })).code).toBe(0);
  });

  it("off ends with Fencer's verdict when its deadline is under power_timeout, unseen otherwise", async () => {
    // Paired (README): Fencer's 5 s deadline under the agent's 10 s. The reason is Fencer's.
    const paired = await agent({ action: 'off', port: 'w', power_timeout: '10' }, 'broken/y');
    expect(paired.code).toBe(1);
    expect(paired.stderr).toBe(
      'Failed: w not fenced: fence-failed: fence deadline passed without a verified power-off\n',
    );
    expect(paired.ms).toBeLessThan(9_500);
    // Not paired: the agent gives up at its 2 s while Fencer still fences (it says so).
    const unpaired = await agent({ action: 'off', port: 'w', power_timeout: '2' }, 'broken/y');
    expect(unpaired.code).toBe(1);
    expect(unpaired.stderr).toMatch(/^Failed: incident \S+ is still fencing/);
  });

  it('monitor: 0 when Fencer answers and no node is unfenceable, else 1 with the reason', async () => {
    expect(await agent({ action: 'monitor' })).toMatchObject({ code: 0, stdout: '', stderr: '' });
    // The broken cluster's z turns unfenceable at its first readiness check.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const view = await setup
        .client(serve.url, 'admin/ops')
        .request('GET', '/v1/clusters/broken/readiness');
      const z = (view.body as ReadinessView).nodes.find((n) => n.name === 'z');
      if (z?.readiness === 'unfenceable' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const monitor = await agent({ action: 'monitor' }, 'broken/y');
    expect(monitor.code).toBe(1);
    expect(monitor.stderr).toMatch(
      /^Failed: Fencer answers, but no fence path works for z \(level 1 dummy \S+: .*mode is error/,
    );
  });
});
