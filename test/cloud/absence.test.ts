import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver } from '../../core/drivers/registry.ts';
import type { FenceDriver } from '../../core/drivers/types.ts';
import { callSignal, driverContext, target } from './support/driverContext.ts';
import { describeInstancesXml } from './support/ec2Xml.ts';
import { type FakeArm, startFakeArm } from './support/fakeArm.ts';
import { type FakeEc2, startFakeEc2 } from './support/fakeEc2.ts';

/**
 * DESIGN invariant 8, "absence is not off", for the cloud drivers: the real SDKs against the
 * local endpoints, answering with documents that prove nothing (empty, a missing field, a
 * contradiction, an unknown word, a missing resource). Each must read `unknown` or fail;
 * only an explicit off state (Azure stopped/deallocated, EC2 stopped/terminated) is `off`.
 */
let arm: FakeArm;
let ec2: FakeEc2;
const secrets = {
  'env:FENCER_TEST_SP': 'sp-secret-value',
  'env:AWS_KEY': 'AKIAFENCERTEST000002',
  'env:AWS_SECRET': 'fencer/Absence+Secret=Key012345678',
};

beforeAll(async () => {
  arm = await startFakeArm();
  arm.addClient('fencer-app', secrets['env:FENCER_TEST_SP'], [
    'Microsoft.Compute/virtualMachines/*',
  ]);
  arm.addVm('rg-fence', 'vm-a', { power: 'running' });
  ec2 = await startFakeEc2();
  ec2.addKey(secrets['env:AWS_KEY'], secrets['env:AWS_SECRET']);
});

afterAll(async () => {
  await arm?.stop();
  await arm?.ca.dispose();
  await ec2?.stop();
});

function azure(vmName: string): Promise<FenceDriver> {
  return createDriver(
    {
      'azure-vm': {
        subscriptionId: arm.subscriptionId,
        resourceGroup: 'rg-fence',
        vmName,
        endpoint: arm.url,
        authorityHost: arm.url,
        ca: arm.ca.caFile,
        credential: {
          tenantId: arm.entra.tenantId,
          clientId: 'fencer-app',
          clientSecret: { secretRef: 'env:FENCER_TEST_SP' },
        },
      },
    },
    driverContext(secrets),
  );
}

function aws(instanceId: string): Promise<FenceDriver> {
  return createDriver(
    {
      'aws-ec2': {
        region: ec2.region,
        instanceId,
        endpoint: ec2.url,
        credential: {
          accessKeyId: { secretRef: 'env:AWS_KEY' },
          secretAccessKey: { secretRef: 'env:AWS_SECRET' },
        },
      },
    },
    driverContext(secrets),
  );
}

/** The state read, or the error's code: either is fine, `off` never is. */
async function readOrFail(driver: FenceDriver): Promise<string> {
  return driver.powerState(target, callSignal()).then(
    (state) => state,
    (err: unknown) => `error:${(err as { code?: string }).code}`,
  );
}

const status = (code: string) => ({ code, level: 'Info', displayStatus: code });
const provisioned = status('ProvisioningState/succeeded');

describe('azure-vm instance views that prove nothing', () => {
  it.each([
    ['an empty body', ''],
    ['an empty document', '{}'],
    ['statuses without a PowerState', JSON.stringify({ statuses: [provisioned] })],
    ['a PowerState it does not know', JSON.stringify({ statuses: [status('PowerState/unknown')] })],
    [
      'PowerStates that contradict each other',
      JSON.stringify({
        statuses: [provisioned, status('PowerState/stopped'), status('PowerState/running')],
      }),
    ],
  ])('reads %s as unknown (or fails), never off', async (_what, rawBody) => {
    arm.failNext('instanceView', { rawBody });
    expect(await readOrFail(await azure('vm-a'))).toMatch(/^(unknown|error:.+)$/);
  });

  it('fails for a VM that does not exist (not-found), never reads it off', async () => {
    expect(await readOrFail(await azure('vm-gone'))).toBe('error:not-found');
  });

  it("fails doctor's power-state check when the state reads unknown", async () => {
    arm.failNext('instanceView', { rawBody: JSON.stringify({ statuses: [provisioned] }) });
    const checks = (await (await azure('vm-a')).check?.(target, callSignal())) ?? [];
    expect(checks.find((c) => c.name === 'power state')).toMatchObject({
      ok: false,
      detail: 'vm-a: no PowerState (unknown)',
      fix: expect.stringContaining('cannot be verified'),
    });
  });

  it('still reads an explicit PowerState/deallocated as off', async () => {
    arm.failNext('instanceView', {
      rawBody: JSON.stringify({ statuses: [provisioned, status('PowerState/deallocated')] }),
    });
    expect(await readOrFail(await azure('vm-a'))).toBe('off');
  });
});

describe('aws-ec2 DescribeInstances answers that prove nothing', () => {
  const id = 'i-0ab5e0ce0000000a1';
  /** Built when the test runs: the account id is the started endpoint's. */
  const describeXml = (instances: Parameters<typeof describeInstancesXml>[0]) => () => ({
    rawBody: describeInstancesXml(instances, ec2.accountId),
  });

  beforeAll(() => {
    ec2.addInstance(id, { state: 'stopped' });
  });

  it.each([
    ['an empty body', () => ({ emptyBody: true }) as const],
    ['an answer without the instance', () => ({ omitInstances: true }) as const],
    ['the instance without a state', describeXml([{ instanceId: id, state: null }])],
    [
      'the instance twice, stopped and running',
      describeXml([
        { instanceId: id, state: 'stopped' },
        { instanceId: id, state: 'running' },
      ]),
    ],
    [
      'a state word it does not know',
      () => ({
        rawBody: describeInstancesXml(
          [{ instanceId: id, state: 'stopped' }],
          ec2.accountId,
        ).replace('<name>stopped</name>', '<name>hibernated</name>'),
      }),
    ],
  ])('reads %s as unknown (or fails), never off', async (_what, fault) => {
    ec2.failNext('DescribeInstances', fault());
    expect(await readOrFail(await aws(id))).toMatch(/^(unknown|error:.+)$/);
  });

  it('fails for an instance that does not exist (not-found), never reads it off', async () => {
    expect(await readOrFail(await aws('i-0ab5e0ce00000ffff'))).toBe('error:not-found');
  });

  it("fails doctor's power-state check when the state reads unknown", async () => {
    ec2.failNext('DescribeInstances', describeXml([{ instanceId: id, state: null }])());
    const checks = (await (await aws(id)).check?.(target, callSignal())) ?? [];
    expect(checks.find((c) => c.name === 'power state')).toMatchObject({
      ok: false,
      detail: `${id}: no state (unknown)`,
      fix: expect.stringContaining('cannot be verified'),
    });
  });

  it('still reads explicit stopped and terminated as off', async () => {
    expect(await readOrFail(await aws(id))).toBe('off');
    ec2.failNext('DescribeInstances', describeXml([{ instanceId: id, state: 'terminated' }])());
    expect(await readOrFail(await aws(id))).toBe('off');
  });
});
