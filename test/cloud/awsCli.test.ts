import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCliPath } from './globalSetup.ts';
import { type FakeEc2, startFakeEc2 } from './support/fakeEc2.ts';

const run = promisify(execFile);
/** Debian's awscli (globalSetup installs it), not a pyenv shim that may come first on PATH. */
const awsCli = awsCliPath;

/**
 * A second, independent client against the fake EC2 endpoint: if botocore (another SigV4
 * signer and XML parser) agrees with it, the endpoint speaks EC2, not just "what the JS SDK
 * happens to accept".
 */
describe('the fake EC2 endpoint, driven by the AWS CLI', () => {
  let ec2: FakeEc2;
  let home: string;
  const instanceId = 'i-0a1b2c3d4e5f60718';

  beforeAll(async () => {
    if (!existsSync(awsCli))
      throw new Error(`${awsCli} is missing (see test/cloud/globalSetup.ts)`);
    ec2 = await startFakeEc2();
    ec2.addKey('AKIAFENCERCLI0000001', 'cli/Secret+Key');
    ec2.addInstance(instanceId, { stopDelayMs: 100 });
    home = await mkdtemp(join(tmpdir(), 'fencer-awscli-'));
  });

  afterAll(async () => {
    await ec2?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** Credentials only in the child's environment; no config files, no instance metadata. */
  function aws(args: string[], secret = 'cli/Secret+Key') {
    return run(awsCli, ['--endpoint-url', ec2.url, '--output', 'json', 'ec2', ...args], {
      env: {
        PATH: '/usr/bin:/bin',
        HOME: home,
        AWS_ACCESS_KEY_ID: 'AKIAFENCERCLI0000001',
        AWS_SECRET_ACCESS_KEY: secret,
        AWS_DEFAULT_REGION: ec2.region,
        AWS_CONFIG_FILE: join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_PAGER: '',
      },
      timeout: 30_000,
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      }),
    );
  }

  it('stop-instances --force, then describe-instances sees it stopped', async () => {
    // Act
    const stop = await aws(['stop-instances', '--instance-ids', instanceId, '--force']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const described = await aws(['describe-instances', '--instance-ids', instanceId]);

    // Assess
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout).StoppingInstances).toEqual([
      {
        InstanceId: instanceId,
        CurrentState: { Code: 64, Name: 'stopping' },
        PreviousState: { Code: 16, Name: 'running' },
      },
    ]);
    expect(ec2.requests.find((r) => r.action === 'StopInstances')?.params.Force).toBe('true');
    expect(described.code).toBe(0);
    const instance = JSON.parse(described.stdout).Reservations[0].Instances[0];
    expect(instance).toMatchObject({
      InstanceId: instanceId,
      State: { Code: 80, Name: 'stopped' },
    });
  });

  it('--dry-run answers DryRunOperation; a wrong secret fails the signature check', async () => {
    // Act
    const dryRun = await aws(['stop-instances', '--instance-ids', instanceId, '--dry-run']);
    const forged = await aws(['describe-instances', '--instance-ids', instanceId], 'wrong');

    // Assess
    expect(dryRun.code).not.toBe(0);
    expect(dryRun.stderr).toContain('(DryRunOperation)');
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain('(SignatureDoesNotMatch)');
  });

  it('an unknown instance is InvalidInstanceID.NotFound', async () => {
    // Act
    const missing = await aws(['stop-instances', '--instance-ids', 'i-0ffffffffffffffff']);

    // Assess
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('(InvalidInstanceID.NotFound)');
  });
});
