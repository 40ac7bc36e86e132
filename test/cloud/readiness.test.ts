import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import type { DriverEntry } from '../../core/config/schema.ts';
import { DriverCache } from '../../core/drivers/driverCache.ts';
import { type ConfiguredDevice, checkDevice } from '../../core/readiness/deviceChecks.ts';
import { driverContext } from './support/driverContext.ts';
import { type FakeArm, startFakeArm } from './support/fakeArm.ts';
import { type FakeEc2, startFakeEc2 } from './support/fakeEc2.ts';

/**
 * Readiness checks of the cloud paths with the identity that fences, through the real SDKs
 * against the local ARM/Entra and EC2 endpoints: a path whose identity lost the right to power
 * off is `failing` with that reason, long before a fence needs it; no check powers anything.
 */
let arm: FakeArm;
let ec2: FakeEc2;
const secrets = {
  'env:SP': 'sp-secret',
  'env:RO': 'ro-secret',
  'env:K': 'k-secret',
  'env:KR': 'kr-secret',
};

beforeAll(async () => {
  arm = await startFakeArm();
  ec2 = await startFakeEc2({ tls: arm.ca });
  arm.addClient('fencer-app', 'sp-secret', ['Microsoft.Compute/virtualMachines/*']);
  arm.addClient('revoked-app', 'ro-secret', [
    'Microsoft.Compute/virtualMachines/read',
    'Microsoft.Compute/virtualMachines/instanceView/read',
  ]);
  arm.addVm('rg-ready', 'vm-ready');
  ec2.addKey('AKIAREADYFENCER00001', 'k-secret');
  ec2.addKey('AKIAREADYREVOKED0002', 'kr-secret', ['ec2:DescribeInstances']);
  ec2.addInstance('i-0aead1000000000a1');
});
afterAll(async () => {
  await ec2.stop();
  await arm.stop();
  await arm.ca.dispose();
});

const azure = (clientId: string, secretRef: string): DriverEntry => ({
  'azure-vm': {
    subscriptionId: arm.subscriptionId,
    resourceGroup: 'rg-ready',
    vmName: 'vm-ready',
    endpoint: arm.url,
    authorityHost: arm.url,
    ca: arm.ca.caFile,
    credential: { tenantId: arm.entra.tenantId, clientId, clientSecret: { secretRef } },
  },
});
const aws = (keyId: string, secretRef: string): DriverEntry => ({
  'aws-ec2': {
    region: ec2.region,
    instanceId: 'i-0aead1000000000a1',
    endpoint: ec2.url,
    ca: arm.ca.caFile,
    credential: {
      accessKeyId: { secretRef: keyId === 'AKIAREADYFENCER00001' ? 'env:KID' : 'env:KIDR' },
      secretAccessKey: { secretRef },
    },
  },
});

function check(entry: DriverEntry) {
  const drivers = new DriverCache(
    driverContext({
      ...secrets,
      'env:KID': 'AKIAREADYFENCER00001',
      'env:KIDR': 'AKIAREADYREVOKED0002',
    }),
  );
  const device: ConfiguredDevice = {
    node: 'n',
    level: 1,
    index: 0,
    entry,
    fingerprint: 'f',
    account: 'x',
  };
  return checkDevice(device, 'c', { drivers, clock: systemClock }, 20_000);
}

describe('readiness of cloud paths', () => {
  it('azure-vm: ok with the fencing role; failing, naming the missing action, without it', async () => {
    expect(await check(azure('fencer-app', 'env:SP'))).toMatchObject({
      status: 'ok',
      powerState: 'on',
      driver: 'azure-vm',
    });
    const revoked = await check(azure('revoked-app', 'env:RO'));
    expect(revoked).toMatchObject({ status: 'failing', powerState: 'on' });
    expect(revoked.detail).toContain('Microsoft.Compute/virtualMachines/powerOff/action');
  });

  it('aws-ec2: ok with StopInstances; failing with the DryRun refusal without it', async () => {
    const good = await check(aws('AKIAREADYFENCER00001', 'env:K'));
    expect(good).toMatchObject({
      status: 'ok',
      powerState: 'on',
    });
    const revoked = await check(aws('AKIAREADYREVOKED0002', 'env:KR'));
    expect(revoked).toMatchObject({ status: 'failing', powerState: 'on' });
    expect(revoked.detail).toMatch(/UnauthorizedOperation|StopInstances/);
  });

  it('no check powered anything off', () => {
    const vm = arm.vms.get('rg-ready/vm-ready');
    expect(vm?.powerOffCalls ?? 0).toBe(0);
    expect(ec2.instances.get('i-0aead1000000000a1')?.stopCalls ?? 0).toBe(0);
  });
});
