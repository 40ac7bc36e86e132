import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver } from '../../core/drivers/registry.ts';
import type { FenceDriver } from '../../core/drivers/types.ts';
import {
  awsEc2Device,
  azureResourceGroup,
  azureVmDevice,
  type CloudFakes,
  startCloudFakes,
} from '../support/cloudFakes.ts';
import { callSignal, driverContext, target } from './support/driverContext.ts';
import { describeInstancesXml } from './support/ec2Xml.ts';

/**
 * DESIGN invariant 8, "absence is not off", for the cloud drivers: the real SDKs against the
 * local endpoints, answering with documents that prove nothing (empty, a missing field, a
 * contradiction, an unknown word, a missing resource). Each must read `unknown` or fail;
 * only an explicit off state (Azure stopped/deallocated, EC2 stopped/terminated) is `off`.
 */
let fakes: CloudFakes;
let secrets: Record<string, string>;

beforeAll(async () => {
  fakes = await startCloudFakes();
  fakes.arm.addVm(azureResourceGroup, 'vm-a', { power: 'running' });
  secrets = Object.fromEntries(Object.entries(fakes.secrets).map(([k, v]) => [`env:${k}`, v]));
});

afterAll(async () => {
  await fakes?.stop();
});

const azure = (vmName: string) =>
  createDriver(azureVmDevice(fakes, vmName), driverContext(secrets));
const aws = (instanceId: string) =>
  createDriver(awsEc2Device(fakes, instanceId), driverContext(secrets));

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
    fakes.arm.failNext('instanceView', { rawBody });
    expect(await readOrFail(await azure('vm-a'))).toMatch(/^(unknown|error:.+)$/);
  });

  it('fails for a VM that does not exist (not-found), never reads it off', async () => {
    expect(await readOrFail(await azure('vm-gone'))).toBe('error:not-found');
  });

  it("fails doctor's power-state check when the state reads unknown", async () => {
    fakes.arm.failNext('instanceView', { rawBody: JSON.stringify({ statuses: [provisioned] }) });
    const checks = (await (await azure('vm-a')).check?.(target, callSignal())) ?? [];
    expect(checks.find((c) => c.name === 'power state')).toMatchObject({
      ok: false,
      detail: 'vm-a: no PowerState (unknown)',
      fix: expect.stringContaining('cannot be verified'),
    });
  });

  it('still reads an explicit PowerState/deallocated as off', async () => {
    fakes.arm.failNext('instanceView', {
      rawBody: JSON.stringify({ statuses: [provisioned, status('PowerState/deallocated')] }),
    });
    expect(await readOrFail(await azure('vm-a'))).toBe('off');
  });
});

describe('aws-ec2 DescribeInstances answers that prove nothing', () => {
  const id = 'i-0ab5e0ce0000000a1';
  /** Built when the test runs: the account id is the started endpoint's. */
  const describeXml = (instances: Parameters<typeof describeInstancesXml>[0]) => () => ({
    rawBody: describeInstancesXml(instances, fakes.ec2.accountId),
  });

  beforeAll(() => {
    fakes.ec2.addInstance(id, { state: 'stopped' });
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
          fakes.ec2.accountId,
        ).replace('<name>stopped</name>', '<name>hibernated</name>'),
      }),
    ],
  ])('reads %s as unknown (or fails), never off', async (_what, fault) => {
    fakes.ec2.failNext('DescribeInstances', fault());
    expect(await readOrFail(await aws(id))).toMatch(/^(unknown|error:.+)$/);
  });

  it('fails for an instance that does not exist (not-found), never reads it off', async () => {
    expect(await readOrFail(await aws('i-0ab5e0ce00000ffff'))).toBe('error:not-found');
  });

  it("fails doctor's power-state check when the state reads unknown", async () => {
    fakes.ec2.failNext('DescribeInstances', describeXml([{ instanceId: id, state: null }])());
    const checks = (await (await aws(id)).check?.(target, callSignal())) ?? [];
    expect(checks.find((c) => c.name === 'power state')).toMatchObject({
      ok: false,
      detail: `${id}: no state (unknown)`,
      fix: expect.stringContaining('cannot be verified'),
    });
  });

  it('still reads explicit stopped and terminated as off', async () => {
    expect(await readOrFail(await aws(id))).toBe('off');
    fakes.ec2.failNext(
      'DescribeInstances',
      describeXml([{ instanceId: id, state: 'terminated' }])(),
    );
    expect(await readOrFail(await aws(id))).toBe('off');
  });
});
