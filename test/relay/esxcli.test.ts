import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signedAction } from './peers/client.ts';
import {
  type RelayInProcess,
  secretFile,
  startRelayInProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki } from './peers/tls.ts';
import { type CliStandIns, installCliStandIns } from './peers/vsphereCliStandIns.ts';

/**
 * esxcli targets against a stand-in host that behaves like ESXi: `vm process list` shows
 * running VMs only, and a VM gets a new world id at every power-on (DESIGN invariant 8:
 * absence is not off). The VM is identified by display name or .vmx; a world id alone cannot
 * be verified.
 */
const legacyVmx = '/vmfs/volumes/5f1e1386-0b862fae/legacy/legacy.vmx';
let dir: string;
let cli: CliStandIns;
let relay: RelayInProcess;
/** The world id `keeper` had when the config was written (LifeKeeper's stonith.conf style). */
let keeperWorld: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-esxcli-'));
  const pki = makeTestPki(dir);
  cli = installCliStandIns(dir, [
    { name: 'legacy', vmx: legacyVmx },
    { name: 'keeper', vmx: '/vmfs/volumes/ds1/keeper/keeper.vmx' },
    { name: 'twin', vmx: '/vmfs/volumes/ds1/twin-a/twin.vmx' },
    { name: 'twin', vmx: '/vmfs/volumes/ds2/twin-b/twin.vmx' },
    { name: 'bystander', vmx: '/vmfs/volumes/ds1/bystander/bystander.vmx' },
  ]);
  keeperWorld = cli.vm('keeper').worldId ?? 0;
  const esx = (extra: Record<string, unknown>) => ({
    esxcli: {
      server: '10.0.0.1',
      user: 'root',
      password: { secretRef: secretFile(dir, 'esx', 'esx-Secret-Pw-9') },
      ...extra,
    },
  });
  const config = writeRelayConfig({
    dir,
    pki,
    targets: {
      // The world id LifeKeeper's stonith.conf had, beside the name that verifies.
      'legacy-name': esx({ vm: { name: 'legacy' }, worldId: cli.vm('legacy').worldId }),
      'legacy-vmx': esx({ vm: { vmx: legacyVmx } }),
      keeper: esx({ worldId: keeperWorld }),
      stale: esx({ worldId: 99 }),
      twin: esx({ vm: { name: 'twin' } }),
    },
  });
  relay = await startRelayInProcess({ ...config, ca: pki.caCert, childEnv: cli.childEnv() });
});

afterAll(async () => {
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  cli.setListOutput(undefined);
  cli.powerOn('legacy');
});

let seq = 0;
const act = (target: string, action: string, deadlineMs = 3000) =>
  signedAction(relay, { requestId: `esx-${seq++}`, target, action, deadlineMs });

/** The esxcli words of the calls made since `before` (connection options dropped). */
const wordsSince = (before: number) =>
  cli
    .calls()
    .slice(before)
    .map((c) => c.argv.slice(4).join(' '));

describe('esxcli target identified by name or vmx', () => {
  it("kills the VM's current world id, looked up by name, after a power-on changed it", async () => {
    // Prepare: powered off and on outside Fencer, so the configured world id is stale.
    const configured = cli.vm('legacy').worldId;
    cli.powerOff('legacy');
    const current = cli.powerOn('legacy');
    expect(current).not.toBe(configured);
    const before = cli.calls().length;
    // Act
    const answer = await act('legacy-name', 'off');
    // Assess
    expect(answer.json).toMatchObject({ powerState: 'off', verified: true });
    expect(wordsSince(before)).toEqual([
      'vm process list',
      `vm process kill --type=hard --world-id=${current}`,
      'vm process list',
    ]);
    expect(cli.vm('legacy').power).toBe('off');
    expect(cli.vm('bystander').power).toBe('on');
  });

  it('finds the VM by its .vmx path (Config File) as well', async () => {
    expect((await act('legacy-vmx', 'status')).json).toMatchObject({
      powerState: 'on',
      verified: true,
    });
    expect((await act('legacy-vmx', 'off')).json).toMatchObject({
      powerState: 'off',
      verified: true,
    });
  });

  it('reads off when no running process has the name, and an off then kills nothing', async () => {
    cli.powerOff('legacy');
    const before = cli.calls().length;
    expect((await act('legacy-name', 'status')).json).toMatchObject({
      powerState: 'off',
      verified: true,
    });
    expect((await act('legacy-name', 'off')).json).toMatchObject({
      powerState: 'off',
      verified: true,
    });
    expect(wordsSince(before).filter((w) => w.includes('kill'))).toEqual([]);
  });

  it('reads two running VMs of one name as unknown and refuses to kill either', async () => {
    const before = cli.calls().length;
    const status = await act('twin', 'status');
    expect(status.json).toMatchObject({ powerState: 'unknown', verified: false });
    expect(String(status.json['detail'])).toMatch(/2 running VMs/);
    const off = await act('twin', 'off');
    expect(off.json).toMatchObject({ code: 'execution-failed', retryable: false });
    expect(wordsSince(before).filter((w) => w.includes('kill'))).toEqual([]);
    expect(cli.vm('twin').power).toBe('on');
  });
});

describe('esxcli answers that prove nothing', () => {
  const record = (fields: string) => `legacy\n${fields}\n`;
  it.each([
    ['an empty list', ''],
    ['output that is not a process list', 'Connected to 10.0.0.1\nOK\n'],
    [
      'a record without a world id',
      record(`   Display Name: legacy\n   Config File: ${legacyVmx}`),
    ],
    [
      'a record without a display name (could be the VM asked for)',
      record('   World ID: 77\n   Config File: /vmfs/volumes/ds1/other/other.vmx'),
    ],
  ])('reads %s as unknown, never off', async (_what, output) => {
    cli.setListOutput(output);
    const answer = await act('legacy-name', 'status');
    expect(answer.json).toMatchObject({ powerState: 'unknown', verified: false });
    expect(answer.json['detail']).toEqual(expect.any(String));
  });
});

describe('esxcli target with a world id alone', () => {
  it('reads a world id missing from the list as unknown (not-found), never off', async () => {
    const answer = await act('stale', 'status');
    expect(answer.json).toMatchObject({ powerState: 'unknown', verified: false });
    expect(String(answer.json['detail'])).toMatch(/^not-found: world id 99 .*add vm: \{ name/);
  });

  it('kills a listed world id but cannot verify the kill (unknown, not verified)', async () => {
    expect((await act('keeper', 'status')).json).toMatchObject({ powerState: 'on' });
    const answer = await act('keeper', 'off', 1500);
    expect(answer.json).toMatchObject({ powerState: 'unknown', verified: false });
    expect(cli.vm('keeper').power).toBe('off');
    expect(cli.calls().some((c) => c.argv.includes(`--world-id=${keeperWorld}`))).toBe(true);
  });

  it('refuses power on (esxcli cannot start a VM)', async () => {
    const on = await act('legacy-name', 'on');
    expect(on.json).toMatchObject({
      code: 'execution-failed',
      reason: 'unsupported',
      retryable: false,
    });
  });
});
