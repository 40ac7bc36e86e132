import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsEc2Options } from '../../core/drivers/awsEc2.ts';
import { ec2PowerState } from '../../core/drivers/awsEc2.ts';
import { createDriver } from '../../core/drivers/registry.ts';
import { callSignal, driverContext, target } from './support/driverContext.ts';
import { type FakeArm, startFakeArm } from './support/fakeArm.ts';
import { type FakeEc2, startFakeEc2 } from './support/fakeEc2.ts';

/**
 * aws-ec2 over HTTPS (the fake EC2 uses the test CA, trusted through `ca`): `check()`, web
 * identity federation (Entra managed identity token → STS AssumeRoleWithWebIdentity →
 * temporary SigV4 credentials) and the SDK's default credential chain.
 */
let arm: FakeArm;
let ec2: FakeEc2;
const roleArn = 'arn:aws:iam::123456789012:role/fencer-fence';
const audience = 'api://fencer-aws';
const envNames = [
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_PROFILE',
] as const;
const savedEnv = Object.fromEntries(envNames.map((n) => [n, process.env[n]]));
const staticKey = {
  credential: {
    accessKeyId: { secretRef: 'env:K' },
    secretAccessKey: { secretRef: 'env:S' },
  },
} as const;

beforeAll(async () => {
  arm = await startFakeArm();
  ec2 = await startFakeEc2({ tls: arm.ca });
  arm.addManagedIdentity('mi-fencer', []);
  ec2.roles.set(roleArn, {
    audience,
    verifyToken: (token) => {
      const info = arm.entra.tokenInfo(token);
      return info?.audience === audience ? info.clientId : undefined;
    },
    allow: ['ec2:*'],
  });
  ec2.addKey('AKIAFENCERCHECK00001', 'check-secret');
  ec2.addKey('AKIAREADONLY00000002', 'reader-secret', ['ec2:DescribeInstances']);
  process.env.IDENTITY_ENDPOINT = `${arm.url}/msi/token`;
  process.env.IDENTITY_HEADER = arm.entra.identityHeader;
  // The default chain must see only what a test puts in the environment, not this machine's.
  process.env.AWS_CONFIG_FILE = '/dev/null';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
});

afterAll(async () => {
  for (const name of envNames) {
    const value = savedEnv[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await ec2.stop();
  await arm.stop();
  await arm.ca.dispose();
});

function driver(
  instanceId: string,
  extra: Partial<AwsEc2Options>,
  secrets: Record<string, string> = {},
) {
  const options: AwsEc2Options = {
    region: ec2.region,
    instanceId,
    endpoint: ec2.url,
    ca: arm.ca.caFile,
    ...extra,
  };
  return createDriver({ 'aws-ec2': options }, driverContext(secrets));
}

describe('aws-ec2 check', () => {
  it('reports credentials, power state and a permitted dry-run stop', async () => {
    // Prepare
    const instance = ec2.addInstance('i-0c0000000000000a1');
    const d = await driver('i-0c0000000000000a1', staticKey, {
      'env:K': 'AKIAFENCERCHECK00001',
      'env:S': 'check-secret',
    });

    // Act
    const checks = (await d.check?.(target, callSignal())) ?? [];

    // Assess
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['credentials', true],
      ['power state', true],
      ['stop permission', true],
    ]);
    expect(checks[2]?.detail).toContain('DryRunOperation');
    expect(instance.stopCalls).toBe(0);
    expect(ec2.requests.at(-1)?.params).toMatchObject({ Action: 'StopInstances', DryRun: 'true' });
  });

  it('reports a missing ec2:StopInstances permission with the policy to add', async () => {
    // Prepare
    ec2.addInstance('i-0c0000000000000a2');
    const d = await driver('i-0c0000000000000a2', staticKey, {
      'env:K': 'AKIAREADONLY00000002',
      'env:S': 'reader-secret',
    });

    // Act
    const checks = (await d.check?.(target, callSignal())) ?? [];

    // Assess
    const stop = checks.find((c) => c.name === 'stop permission');
    expect(checks.find((c) => c.name === 'power state')?.ok).toBe(true);
    expect(stop?.ok).toBe(false);
    expect(stop?.detail).toContain('UnauthorizedOperation');
    expect(stop?.fix).toContain(
      'allow ec2:StopInstances on arn:aws:ec2:eu-west-1:<account>:instance/i-0c0000000000000a2',
    );
  });

  it('names a missing instance, and refused credentials, with fixes', async () => {
    // Prepare
    const missing = await driver('i-0c00000000000dead', staticKey, {
      'env:K': 'AKIAFENCERCHECK00001',
      'env:S': 'check-secret',
    });
    const refused = await driver('i-0c00000000000dead', staticKey, {
      'env:K': 'AKIAFENCERCHECK00001',
      'env:S': 'wrong',
    });

    // Act
    const missingChecks = (await missing.check?.(target, callSignal())) ?? [];
    const refusedChecks = (await refused.check?.(target, callSignal())) ?? [];

    // Assess
    const state = missingChecks.find((c) => c.name === 'power state');
    expect(state).toMatchObject({ ok: false });
    expect(state?.fix).toContain('i-0c00000000000dead does not exist in eu-west-1');
    const refusedState = refusedChecks.find((c) => c.name === 'power state');
    expect(refusedState?.detail).toContain('SignatureDoesNotMatch');
    expect(refusedState?.fix).toContain('env:K');
    expect(JSON.stringify(refusedChecks)).not.toContain('wrong');
  });
});

describe('aws-ec2 web identity federation from an Azure managed identity', () => {
  const federated = {
    credential: {
      webIdentity: {
        roleArn,
        audience,
        managedIdentityClientId: 'mi-fencer',
        sessionName: 'fencer-prod-db',
        stsEndpoint: '',
      },
    },
  };

  it('fences with temporary credentials from STS, exchanging the Entra token once', async () => {
    // Prepare
    federated.credential.webIdentity.stsEndpoint = ec2.url;
    ec2.addInstance('i-0c0000000000000b1');
    const d = await driver('i-0c0000000000000b1', federated);
    const before = ec2.requests.filter((r) => r.action === 'AssumeRoleWithWebIdentity').length;

    // Act
    await d.powerOff(target, callSignal());
    const state = await d.powerState(target, callSignal());

    // Assess
    const assumed = ec2.requests.filter((r) => r.action === 'AssumeRoleWithWebIdentity');
    expect(state).toBe('off');
    expect(assumed.length - before).toBe(1);
    expect(assumed.at(-1)?.params).toMatchObject({
      RoleArn: roleArn,
      RoleSessionName: 'fencer-prod-db',
    });
    expect(arm.requests.some((r) => r.path === '/msi/token')).toBe(true);
  });

  it('a role that does not trust the token is a non-retryable auth failure', async () => {
    // Prepare
    ec2.addInstance('i-0c0000000000000b2');
    const d = await driver('i-0c0000000000000b2', {
      credential: {
        webIdentity: {
          roleArn: 'arn:aws:iam::123456789012:role/other',
          audience,
          managedIdentityClientId: 'mi-fencer',
          stsEndpoint: ec2.url,
        },
      },
    });

    // Act
    const err = await d.powerState(target, callSignal()).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: 'unauthorized', retryable: false });
    expect((err as Error).message).toContain('InvalidIdentityToken');
    expect((err as Error).message).toContain('aws-ec2 eu-west-1/i-0c0000000000000b2');
  });
});

describe('aws-ec2 transport and default chain', () => {
  it('without `credential` the SDK default chain reads AWS_ACCESS_KEY_ID from the environment', async () => {
    // Prepare
    process.env.AWS_ACCESS_KEY_ID = 'AKIAFENCERCHECK00001';
    process.env.AWS_SECRET_ACCESS_KEY = 'check-secret';
    ec2.addInstance('i-0c0000000000000c1', { state: 'stopped' });
    const d = await driver('i-0c0000000000000c1', {});

    // Act
    const state = await d.powerState(target, callSignal());

    // Assess
    expect(state).toBe('off');
  });

  it('without the test CA the HTTPS endpoint is not trusted (non-retryable)', async () => {
    // Prepare
    const d = await driver(
      'i-0c0000000000000c1',
      { ...staticKey, ca: undefined },
      { 'env:K': 'AKIAFENCERCHECK00001', 'env:S': 'check-secret' },
    );

    // Act
    const err = await d.powerState(target, callSignal()).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: 'tls-untrusted', retryable: false });
  });

  it('maps EC2 instance state names to power states', () => {
    expect(ec2PowerState('stopped')).toBe('off');
    expect(ec2PowerState('terminated')).toBe('off');
    expect(ec2PowerState('running')).toBe('on');
    for (const name of ['pending', 'stopping', 'shutting-down', undefined]) {
      expect(ec2PowerState(name)).toBe('unknown');
    }
  });
});
