import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzureVmOptions } from '../../core/drivers/azureVm.ts';
import { createDriver } from '../../core/drivers/registry.ts';
import { DriverError } from '../../core/errors.ts';
import { callSignal, driverContext, pollUntilOff, target } from './support/driverContext.ts';
import { type FakeArm, startFakeArm } from './support/fakeArm.ts';

/**
 * The azure-vm driver with the real @azure/arm-compute and @azure/identity clients against the
 * local HTTPS ARM + Entra endpoint (test/cloud/support/fakeArm.ts), trusted through `ca`.
 */
let arm: FakeArm;
const secret = 'sp-secret-value';
const secrets = { 'env:FENCER_TEST_SP': secret };

beforeAll(async () => {
  arm = await startFakeArm();
  arm.addClient('fencer-app', secret, ['Microsoft.Compute/virtualMachines/*']);
  arm.addClient('reader-app', 'reader-secret', [
    'Microsoft.Compute/virtualMachines/instanceView/read',
  ]);
});

afterAll(async () => {
  await arm.stop();
  await arm.ca.dispose();
});

function options(vmName: string, overrides: Partial<AzureVmOptions> = {}): AzureVmOptions {
  return {
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
    ...overrides,
  };
}

function driver(
  vmName: string,
  overrides: Partial<AzureVmOptions> = {},
  s: Record<string, string> = secrets,
) {
  return createDriver({ 'azure-vm': options(vmName, overrides) }, driverContext(s));
}

async function failure(promise: Promise<unknown>): Promise<DriverError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DriverError);
  return err as DriverError;
}

describe('azure-vm power off', () => {
  it('powers off with skipShutdown through the LRO and is verified off by the instance view', async () => {
    // Prepare
    const vm = arm.addVm('rg-fence', 'vm-a', { offDelayMs: 300, lroPolls: 2 });
    const d = await driver('vm-a');
    expect(await d.powerState(target, callSignal())).toBe('on');

    // Act
    const started = Date.now();
    await d.powerOff(target, callSignal());
    const polled = await pollUntilOff(() => d.powerState(target, callSignal()));

    // Assess
    expect(vm.powerOffCalls).toBe(1);
    expect(new URLSearchParams(vm.powerOffQueries[0]).get('skipShutdown')).toBe('true');
    expect(polled.states.at(-1)).toBe('off');
    expect(polled.states.slice(0, -1).every((s) => s === 'unknown')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(d.description).toBe('azure-vm rg-fence/vm-a');
  });

  it('reads PowerState/deallocated as off and PowerState/starting as unknown', async () => {
    // Prepare
    arm.addVm('rg-fence', 'vm-dealloc', { power: 'deallocated' });
    arm.addVm('rg-fence', 'vm-starting', { power: 'starting', offDelayMs: 60_000 });

    // Act
    const dealloc = await (await driver('vm-dealloc')).powerState(target, callSignal());
    const starting = await (await driver('vm-starting')).powerState(target, callSignal());

    // Assess
    expect(dealloc).toBe('off');
    expect(starting).toBe('unknown');
  });

  it('keeps reading unknown while the VM is stuck in PowerState/stopping', async () => {
    // Prepare
    arm.addVm('rg-fence', 'vm-stuck', { stuckStopping: true });
    const d = await driver('vm-stuck');

    // Act
    await d.powerOff(target, callSignal());
    const polled = await pollUntilOff(() => d.powerState(target, callSignal()), 600);

    // Assess
    expect(polled.states.length).toBeGreaterThan(2);
    expect(new Set(polled.states)).toEqual(new Set(['unknown']));
  });

  it('powers on through the start LRO (for unfence with power-on)', async () => {
    // Prepare
    const vm = arm.addVm('rg-fence', 'vm-on', { power: 'stopped' });
    const d = await driver('vm-on');

    // Act
    await d.powerOn?.(target, callSignal());
    const state = await d.powerState(target, callSignal());

    // Assess
    expect(vm.startCalls).toBe(1);
    expect(state).toBe('on');
  });
});

describe('azure-vm errors', () => {
  it('a 429 is retryable with the Retry-After, and the SDK did not retry it itself', async () => {
    // Prepare
    const vm = arm.addVm('rg-fence', 'vm-429');
    const d = await driver('vm-429');
    arm.failNext('powerOff', { status: 429, code: 'TooManyRequests', retryAfter: '7' });

    // Act
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'throttled', retryable: true, retryAfterMs: 7000 });
    expect(err.message).toContain('azure-vm rg-fence/vm-429 powerOff');
    expect(err.message).toContain('TooManyRequests');
    expect(vm.powerOffCalls).toBe(0);
    await d.powerOff(target, callSignal());
    expect(vm.powerOffCalls).toBe(1);
  });

  it('a Retry-After given as an HTTP date becomes milliseconds from now', async () => {
    // Prepare
    arm.addVm('rg-fence', 'vm-429-date');
    const d = await driver('vm-429-date');
    const at = new Date(Date.now() + 30_000).toUTCString();
    arm.failNext('instanceView', { status: 429, code: 'TooManyRequests', retryAfter: at });

    // Act
    const err = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('a 503 is retryable and reaches the engine at once (no hidden SDK retries)', async () => {
    // Prepare
    arm.addVm('rg-fence', 'vm-503');
    const d = await driver('vm-503');
    await d.powerState(target, callSignal());
    const before = arm.requests.length;
    arm.failNext('instanceView', { status: 503, code: 'ServiceUnavailable' });

    // Act
    const err = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    expect(arm.requests.length - before).toBe(1);
  });

  it('a Failed ARM operation is a retryable DriverError carrying the operation error', async () => {
    // Prepare
    arm.addVm('rg-fence', 'vm-failed', { lroResult: 'Failed' });
    const d = await driver('vm-failed');

    // Act
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'operation-failed', retryable: true });
    expect(err.message).toContain('OperationPreempted');
  });

  it('an unknown VM fails fast: not retryable, the message names the VM', async () => {
    // Prepare
    const d = await driver('vm-missing');

    // Act
    const err = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'not-found', retryable: false });
    expect(err.message).toMatch(
      /azure-vm rg-fence\/vm-missing instanceView: ResourceNotFound \(HTTP 404\)/,
    );
  });

  it('a missing permission is a non-retryable AuthorizationFailed naming the target', async () => {
    // Prepare
    const vm = arm.addVm('rg-fence', 'vm-403');
    const d = await driver(
      'vm-403',
      {
        credential: {
          tenantId: arm.entra.tenantId,
          clientId: 'reader-app',
          clientSecret: { secretRef: 'env:READER' },
        },
      },
      { 'env:READER': 'reader-secret' },
    );

    // Act
    const state = await d.powerState(target, callSignal());
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(state).toBe('on');
    expect(err).toMatchObject({ code: 'unauthorized', retryable: false });
    expect(err.message).toContain(
      'azure-vm rg-fence/vm-403 powerOff: AuthorizationFailed (HTTP 403)',
    );
    expect(vm.powerOffCalls).toBe(0);
  });

  it('a wrong client secret is a non-retryable auth failure with the Entra error code', async () => {
    // Prepare
    arm.addVm('rg-fence', 'vm-badsecret');
    const d = await driver('vm-badsecret', {}, { 'env:FENCER_TEST_SP': 'not-the-secret' });

    // Act
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'unauthorized', retryable: false });
    expect(err.message).toContain('azure-vm rg-fence/vm-badsecret powerOff');
    expect(err.message).toContain('invalid_client');
    expect(err.message).toContain('AADSTS7000215');
    expect(err.message).not.toContain('not-the-secret');
  });

  it('a secretRef that resolves to nothing fails with secret-missing', async () => {
    // Prepare
    const d = await driver('vm-nosecret', {}, {});

    // Act
    const err = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'secret-missing', retryable: false });
  });

  it('without the test CA nothing reaches the endpoint (TLS is verified, not disabled)', async () => {
    // Prepare
    arm.addVm('rg-fence', 'vm-tls');
    const d = await driver('vm-tls', { ca: undefined });
    const before = arm.requests.length;

    // Act
    const err = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(err.message).toContain('azure-vm rg-fence/vm-tls instanceView');
    expect(arm.requests.length).toBe(before);
  });

  it('an aborted signal ends a pending power-off at once', async () => {
    // Prepare
    arm.addVm('rg-fence', 'vm-slow-lro', { lroPolls: 1_000 });
    const d = await driver('vm-slow-lro');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('level timeout')), 400);

    // Act
    const started = Date.now();
    const err = await failure(d.powerOff(target, controller.signal));

    // Assess
    expect(err).toMatchObject({ code: 'aborted', retryable: false });
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
