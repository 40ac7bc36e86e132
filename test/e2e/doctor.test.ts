import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BmcSim, startBmcSim } from '../relay/peers/bmcSim.ts';
import {
  ipmiTargetFor,
  type RelayProcess,
  secretFile,
  startRelayProcess,
  writeRelayConfig,
} from '../relay/peers/relay.ts';
import { makeTestPki } from '../relay/peers/tls.ts';
import { installCliStandIns } from '../relay/peers/vsphereCliStandIns.ts';
import {
  awsEc2Device,
  azureResourceGroup,
  azureVmDevice,
  type CloudFakes,
  startCloudFakes,
} from '../support/cloudFakes.ts';
import { ensureDebianPackages } from '../support/debianPackages.ts';
import { runFencer } from '../support/processes.ts';
import { writeTestConfig } from '../support/testCluster.ts';

/** `fencer doctor`: one good and one broken path of every driver kind, and nothing fenced. */
const dir = mkdtempSync(join(tmpdir(), 'fencer-doctor-'));
let fakes: CloudFakes;
let vm: { powerOffCalls: number };
let instance: { stopCalls: number };
let bmc: BmcSim;
let relay: RelayProcess;
let setup: ReturnType<typeof writeTestConfig>;

beforeAll(async () => {
  ensureDebianPackages(['ipmitool', 'python3-pyghmi', 'openssl']);
  fakes = await startCloudFakes();
  vm = fakes.arm.addVm(azureResourceGroup, 'vm-good');
  instance = fakes.ec2.addInstance('i-0d0c70d0c70d0c70d');
  bmc = await startBmcSim({ dir });
  const pki = makeTestPki(dir);
  // An esxcli target as imported from stonith.conf: a world id alone, which cannot be verified.
  const esx = installCliStandIns(dir, [{ name: 'legacy', vmx: '/vmfs/volumes/ds1/l/l.vmx' }]);
  const relayConfig = writeRelayConfig({
    dir,
    pki,
    targets: {
      'bmc-good': ipmiTargetFor(bmc, dir),
      'esx-world': {
        esxcli: {
          server: '10.0.0.1',
          user: 'root',
          password: { secretRef: secretFile(dir, 'esx', 'esx-Pw-1') },
          worldId: 99,
        },
      },
    },
  });
  relay = await startRelayProcess({
    ...relayConfig,
    ca: pki.caCert,
    env: { PATH: `${esx.binDir}:${process.env['PATH'] ?? '/usr/bin:/bin'}` },
  });
  writeFileSync(join(dir, 'corrupt.json'), '{"power": "maybe"}');
  const level = (device: Record<string, unknown>) => ({ levels: [[device]] });
  setup = writeTestConfig(
    {
      doc: {
        nodes: {
          'dummy-good': {},
          'dummy-bad': level({ dummy: { statusFile: join(dir, 'corrupt.json') } }),
          'azure-good': level(azureVmDevice(fakes, 'vm-good')),
          'azure-bad': level(azureVmDevice(fakes, 'vm-good', true)),
          'ec2-good': level(awsEc2Device(fakes, 'i-0d0c70d0c70d0c70d')),
          'ec2-bad': level(awsEc2Device(fakes, 'i-0d0c70d0c70d0c70d', true)),
          'relay-good': level({ relay: { relay: 'dc1', target: 'bmc-good' } }),
          'relay-bad': level({ relay: { relay: 'dc1', target: 'bmc-unknown' } }),
          'relay-esx': level({ relay: { relay: 'dc1', target: 'esx-world' } }),
        },
      },
    },
    { relays: { dc1: relay.fencerRelayConfig(dir) } },
    fakes.secrets,
  );
});

afterAll(async () => {
  await relay?.stop();
  await bmc?.stop();
  await fakes?.stop();
});

const env = () => ({ ...setup.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

describe('fencer doctor', () => {
  it('finds the good and the broken path of every kind, without fencing anything', async () => {
    // Act
    const { code, output } = await runFencer(
      ['doctor', '--config', setup.file, '--json', '--timeout', '15'],
      env(),
    );
    // Assess
    const report = JSON.parse(output) as {
      ok: boolean;
      paths: { node: string; level: number; ok: boolean; checks: { detail: string }[] }[];
    };
    const devices = report.paths.filter((p) => p.level === 1);
    const verdicts = Object.fromEntries(devices.map((p) => [p.node, p.ok]));
    expect(verdicts).toEqual({
      'dummy-good': true,
      'dummy-bad': false,
      'azure-good': true,
      'azure-bad': false,
      'ec2-good': true,
      'ec2-bad': false,
      'relay-good': true,
      'relay-bad': false,
      'relay-esx': false,
    });
    const detail = (node: string) => JSON.stringify(devices.find((p) => p.node === node)?.checks);
    expect(detail('azure-bad')).toContain('invalid_client');
    expect(detail('ec2-bad')).toContain('SignatureDoesNotMatch');
    expect(detail('relay-bad')).toContain('unknown-target');
    // A world id missing from the process list is not off: doctor says to add the VM's name.
    expect(detail('relay-esx')).toMatch(
      /esx-world is unknown: not-found: world id 99 .*add vm: \{ name/,
    );
    expect(report.paths.filter((p) => p.level === 0).every((p) => p.ok)).toBe(true);
    expect(report.ok).toBe(false);
    expect(code).toBe(1);
    // Non-destructive: no power-off reached any endpoint.
    expect(vm.powerOffCalls).toBe(0);
    expect(instance.stopCalls).toBe(0);
    expect(await bmc.count('power_off')).toBe(0);
  });

  it('prints a table with the verdict, the reason and the fix per path', async () => {
    const { output } = await runFencer(
      ['doctor', '--config', setup.file, '--cluster', 'doc'],
      env(),
    );
    expect(output).toMatch(/^NODE\s+LEVEL\s+PATH\s+RESULT\s+DETAIL\s+FIX$/m);
    expect(output).toMatch(/^doc\/relay-good\s+1\s+relay dc1\/bmc-good\s+ok\s/m);
    expect(output).toMatch(/^doc\/dummy-bad\s+1\s+dummy \S+\s+FAIL\s+.*not a valid status file/m);
    expect(output).toContain('5 of 18 paths failed');
  });
});
