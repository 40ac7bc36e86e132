import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureDriverError } from '../../core/drivers/azureErrors.ts';
import { permits } from '../../core/drivers/azurePermissions.ts';
import { type AzureVmOptions, azurePowerState } from '../../core/drivers/azureVm.ts';
import { parseRetryAfter } from '../../core/drivers/cloudCommon.ts';
import { createDriver } from '../../core/drivers/registry.ts';
import { callSignal, driverContext, target } from './support/driverContext.ts';
import { type FakeArm, startFakeArm } from './support/fakeArm.ts';

/**
 * `check()` (for `fencer doctor`) and the managed identity credential of azure-vm, against the
 * fake ARM. The managed identity is the App Service kind (IDENTITY_ENDPOINT/IDENTITY_HEADER),
 * which @azure/identity reads from the environment of this test worker.
 */
let arm: FakeArm;
const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };

beforeAll(async () => {
  arm = await startFakeArm();
  arm.addClient('fencer-app', 'sp-secret', ['Microsoft.Compute/virtualMachines/*']);
  arm.addClient('reader-app', 'reader-secret', [
    'Microsoft.Compute/virtualMachines/read',
    'Microsoft.Compute/virtualMachines/instanceView/read',
  ]);
  arm.addManagedIdentity('mi-client-id', ['Microsoft.Compute/*']);
  process.env.IDENTITY_ENDPOINT = `${arm.url}/msi/token`;
  process.env.IDENTITY_HEADER = arm.entra.identityHeader;
});

afterAll(async () => {
  for (const [name, value] of [
    ['IDENTITY_ENDPOINT', saved.endpoint],
    ['IDENTITY_HEADER', saved.header],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await arm.stop();
  await arm.ca.dispose();
});

function servicePrincipal(vmName: string, clientId: string, secret: string) {
  const options: AzureVmOptions = {
    subscriptionId: arm.subscriptionId,
    resourceGroup: 'rg-doctor',
    vmName,
    endpoint: arm.url,
    authorityHost: arm.url,
    ca: arm.ca.caFile,
    credential: { tenantId: arm.entra.tenantId, clientId, clientSecret: { secretRef: 'env:SP' } },
  };
  return createDriver({ 'azure-vm': options }, driverContext({ 'env:SP': secret }));
}

describe('azure-vm check', () => {
  it('reports credential, power state and power-off permission as good', async () => {
    // Prepare
    arm.addVm('rg-doctor', 'vm-good');
    const d = await servicePrincipal('vm-good', 'fencer-app', 'sp-secret');

    // Act
    const checks = (await d.check?.(target, callSignal())) ?? [];

    // Assess
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['credential', true],
      ['power state', true],
      ['power-off permission', true],
    ]);
    expect(checks[1]?.detail).toBe('vm-good: PowerState/running (on)');
    expect(arm.vms.get('rg-doctor/vm-good')?.powerOffCalls).toBe(0);
  });

  it('finds a read-only role missing the powerOff action, with a fix', async () => {
    // Prepare
    arm.addVm('rg-doctor', 'vm-readonly');
    const d = await servicePrincipal('vm-readonly', 'reader-app', 'reader-secret');

    // Act
    const checks = (await d.check?.(target, callSignal())) ?? [];

    // Assess
    const permission = checks.find((c) => c.name === 'power-off permission');
    expect(checks.find((c) => c.name === 'power state')?.ok).toBe(true);
    expect(permission?.ok).toBe(false);
    expect(permission?.detail).toContain('Microsoft.Compute/virtualMachines/powerOff/action');
    expect(permission?.fix).toContain('Virtual Machine Contributor');
  });

  it('stops at a refused credential and says how to fix it, without the secret', async () => {
    // Prepare
    const d = await servicePrincipal('vm-any', 'fencer-app', 'wrong-secret');

    // Act
    const checks = (await d.check?.(target, callSignal())) ?? [];

    // Assess
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'credential', ok: false });
    expect(checks[0]?.detail).toContain('invalid_client');
    expect(checks[0]?.fix).toContain('env:SP');
    expect(JSON.stringify(checks)).not.toContain('wrong-secret');
  });

  it('names the VM that does not exist', async () => {
    // Prepare
    const d = await servicePrincipal('vm-ghost', 'fencer-app', 'sp-secret');

    // Act
    const checks = (await d.check?.(target, callSignal())) ?? [];

    // Assess
    const state = checks.find((c) => c.name === 'power state');
    expect(state?.ok).toBe(false);
    expect(state?.detail).toContain('ResourceNotFound');
    expect(state?.fix).toContain('vm-ghost');
  });
});

describe('azure-vm with a user-assigned managed identity', () => {
  it('gets its token from the managed identity endpoint and fences', async () => {
    // Prepare
    arm.addVm('rg-doctor', 'vm-mi');
    const before = arm.entra.tokenRequests;
    const d = await createDriver(
      {
        'azure-vm': {
          subscriptionId: arm.subscriptionId,
          resourceGroup: 'rg-doctor',
          vmName: 'vm-mi',
          endpoint: arm.url,
          ca: arm.ca.caFile,
          credential: { managedIdentityClientId: 'mi-client-id' },
        },
      },
      driverContext(),
    );

    // Act
    await d.powerOff(target, callSignal());
    const state = await d.powerState(target, callSignal());

    // Assess
    expect(state).toBe('off');
    expect(arm.requests.some((r) => r.path === '/msi/token')).toBe(true);
    expect(arm.entra.tokenRequests - before).toBe(1);
  });

  it('an identity that is not assigned fails as a non-retryable credential error', async () => {
    // Prepare
    const d = await createDriver(
      {
        'azure-vm': {
          subscriptionId: arm.subscriptionId,
          resourceGroup: 'rg-doctor',
          vmName: 'vm-mi',
          endpoint: arm.url,
          ca: arm.ca.caFile,
          credential: { managedIdentityClientId: 'not-assigned' },
        },
      },
      driverContext(),
    );

    // Act
    const err = await d.powerState(target, callSignal()).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: 'credential-unavailable', retryable: false });
    expect((err as Error).message).toContain('azure-vm rg-doctor/vm-mi instanceView');
  });
});

describe('azure-vm translation rules', () => {
  it('maps instance view PowerState codes to power states', () => {
    const state = (code?: string) =>
      azurePowerState(code ? [{ code: 'ProvisioningState/succeeded' }, { code }] : []);
    expect(state('PowerState/stopped')).toBe('off');
    expect(state('PowerState/deallocated')).toBe('off');
    expect(state('PowerState/running')).toBe('on');
    expect(state('PowerState/stopping')).toBe('unknown');
    expect(state('PowerState/deallocating')).toBe('unknown');
    expect(state('PowerState/starting')).toBe('unknown');
    expect(state()).toBe('unknown');
  });

  it('honours notActions and wildcards in role permissions', () => {
    const action = 'Microsoft.Compute/virtualMachines/powerOff/action';
    expect(permits([{ actions: ['*'] }], action)).toBe(true);
    expect(permits([{ actions: ['microsoft.compute/virtualmachines/*'] }], action)).toBe(true);
    expect(
      permits([{ actions: ['*'], notActions: ['Microsoft.Compute/*/powerOff/action'] }], action),
    ).toBe(false);
    expect(permits([{ actions: ['Microsoft.Compute/virtualMachines/read'] }], action)).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('classifies conflicts and network faults as retryable, TLS trust failures as not', () => {
    const conflict = azureDriverError(
      { name: 'RestError', statusCode: 409, code: 'OperationNotAllowed', message: 'busy' },
      'x',
      0,
    );
    const refused = azureDriverError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'x',
      0,
    );
    const tls = azureDriverError(
      Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      'x',
      0,
    );
    expect(conflict).toMatchObject({ code: 'conflict', retryable: true });
    expect(refused).toMatchObject({ code: 'unreachable', retryable: true });
    expect(tls).toMatchObject({ code: 'tls-untrusted', retryable: false });
  });
});
