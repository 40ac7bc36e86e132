import { Agent } from 'node:https';
import {
  DescribeInstancesCommand,
  EC2Client,
  type EC2ClientConfig,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { awsEc2Options } from '../config/schema.ts';
import type { DriverError } from '../errors.ts';
import type { PowerState } from '../protocol/power.ts';
import {
  awsCredentialFix,
  awsCredentialProvider,
  describeAwsCredential,
} from './awsCredentials.ts';
import { awsDriverError, missingInstance } from './awsErrors.ts';
import { readTrustedCas, untilAborted } from './cloudCommon.ts';
import type { DriverFactoryContext } from './registry.ts';
import type { DriverCheck, FenceDriver } from './types.ts';

export type AwsEc2Options = z.infer<typeof awsEc2Options>;

/**
 * aws-ec2: `StopInstances` with Force and SkipOsShutdown (a hard stop), power state from
 * `DescribeInstances`. The SDK's retries are off (maxAttempts 1) so throttling reaches the
 * engine, which owns retries and backoff; every call carries the engine's AbortSignal.
 */
export function createAwsEc2Driver(options: AwsEc2Options, ctx: DriverFactoryContext): FenceDriver {
  const { instanceId, region } = options;
  const description = `aws-ec2 ${region}/${instanceId}`;
  let built: Promise<EC2Client> | undefined;

  /** Built on first use, so a missing CA file fails the call, not the config load. */
  const client = (): Promise<EC2Client> => {
    built ??= buildClient(options, ctx, description).catch((err: unknown) => {
      built = undefined;
      throw err;
    });
    return built;
  };

  const send = async <T>(
    operation: string,
    signal: AbortSignal,
    run: (c: EC2Client) => Promise<T>,
  ): Promise<T> => {
    try {
      return await untilAborted(
        client().then((c) => run(c)),
        signal,
      );
    } catch (err) {
      throw awsDriverError(err, `${description} ${operation}`);
    }
  };

  const describe = async (signal: AbortSignal) => {
    const out = await send('DescribeInstances', signal, (c) =>
      c.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: signal }),
    );
    const listed = (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => i.InstanceId === instanceId);
    if (listed.length === 0) throw missingInstance(`${description} DescribeInstances`, instanceId);
    // Listed twice with different states: a contradiction proves nothing (reads unknown).
    const states = new Set(listed.map((i) => i.State?.Name));
    return states.size === 1 ? listed[0]?.State?.Name : undefined;
  };

  return {
    kind: 'aws-ec2',
    description,
    async powerOff(_target, signal) {
      const out = await send('StopInstances', signal, (c) =>
        c.send(
          new StopInstancesCommand({
            InstanceIds: [instanceId],
            Force: true,
            SkipOsShutdown: true,
          }),
          { abortSignal: signal },
        ),
      );
      // An empty 200 parses as success with no StoppingInstances: that is not a stop.
      if (!out.StoppingInstances?.some((i) => i.InstanceId === instanceId)) {
        throw missingInstance(`${description} StopInstances`, instanceId);
      }
    },
    async powerState(_target, signal): Promise<PowerState> {
      return ec2PowerState(await describe(signal));
    },
    async powerOn(_target, signal) {
      const out = await send('StartInstances', signal, (c) =>
        c.send(new StartInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: signal }),
      );
      if (!out.StartingInstances?.some((i) => i.InstanceId === instanceId)) {
        throw missingInstance(`${description} StartInstances`, instanceId);
      }
    },
    async check(_target, signal): Promise<DriverCheck[]> {
      const checks: DriverCheck[] = [];
      const who = describeAwsCredential(options.credential);
      try {
        await send('credentials', signal, async (c) => c.config.credentials());
        checks.push({ name: 'credentials', ok: true, detail: `resolved ${who}` });
      } catch (err) {
        const e = err as DriverError;
        const fix =
          e.code === 'config-invalid' ? 'fix the ca: path' : awsCredentialFix(options.credential);
        checks.push({ name: 'credentials', ok: false, detail: e.message, fix });
        return checks;
      }
      try {
        const state = await describe(signal);
        const power = ec2PowerState(state);
        checks.push({
          name: 'power state',
          ok: power !== 'unknown',
          powerState: power,
          detail: `${instanceId}: ${state ?? 'no state'} (${power})`,
          ...(power === 'unknown'
            ? {
                fix: 'DescribeInstances shows no running/stopped state: a fence cannot be verified until it does (an instance in transition settles)',
              }
            : {}),
        });
      } catch (err) {
        checks.push(failedCheck('power state', err as DriverError, options, 'DescribeInstances'));
      }
      checks.push(await stopPermission(signal));
      return checks;
    },
  };

  /** StopInstances with DryRun: EC2 answers DryRunOperation when the real call would be allowed. */
  async function stopPermission(signal: AbortSignal): Promise<DriverCheck> {
    const name = 'stop permission';
    try {
      await untilAborted(
        client().then((c) =>
          c.send(
            new StopInstancesCommand({
              InstanceIds: [instanceId],
              Force: true,
              SkipOsShutdown: true,
              DryRun: true,
            }),
            { abortSignal: signal },
          ),
        ),
        signal,
      );
      // A dry run that "succeeds" checked nothing: whatever answered is not EC2-like.
      return {
        name,
        ok: false,
        detail: `${description}: a DryRun StopInstances answered 200 instead of DryRunOperation`,
        fix: 'check endpoint',
      };
    } catch (err) {
      if ((err as { name?: string }).name === 'DryRunOperation') {
        return {
          name,
          ok: true,
          detail: `ec2:StopInstances on ${instanceId} is permitted (DryRunOperation)`,
        };
      }
      return failedCheck(
        name,
        awsDriverError(err, `${description} StopInstances(DryRun)`),
        options,
        'StopInstances',
      );
    }
  }
}

/** stopped and terminated are off, running on; pending, stopping, shutting-down keep polling. */
export function ec2PowerState(name: string | undefined): PowerState {
  if (name === 'stopped' || name === 'terminated') return 'off';
  if (name === 'running') return 'on';
  return 'unknown';
}

function failedCheck(
  name: string,
  err: DriverError,
  options: AwsEc2Options,
  action: string,
): DriverCheck {
  const fixes: Record<string, string> = {
    'not-found': `check region and instanceId: ${options.instanceId} does not exist in ${options.region}`,
    unauthorized: /UnauthorizedOperation/.test(err.message)
      ? `allow ec2:${action} on arn:aws:ec2:${options.region}:<account>:instance/${options.instanceId} in the policy of ${describeAwsCredential(options.credential)}`
      : awsCredentialFix(options.credential),
    throttled: 'EC2 is throttling this account; try again shortly',
    'tls-untrusted': 'the endpoint certificate is not trusted: set ca: to its CA file',
  };
  return {
    name,
    ok: false,
    detail: err.message,
    fix: fixes[err.code] ?? 'check endpoint, region and network',
  };
}

async function buildClient(
  options: AwsEc2Options,
  ctx: DriverFactoryContext,
  description: string,
): Promise<EC2Client> {
  const trustedCas = await readTrustedCas(options.ca, ctx.baseDir, description);
  const requestHandler: EC2ClientConfig['requestHandler'] = trustedCas
    ? { httpsAgent: new Agent({ ca: trustedCas, keepAlive: true }) }
    : undefined;
  const credentials = awsCredentialProvider(options.credential, {
    region: options.region,
    secret: (ref) => ctx.secret(ref),
    now: () => ctx.clock.now(),
    description,
    ...(requestHandler ? { requestHandler } : {}),
    ...(trustedCas ? { trustedCas } : {}),
  });
  return new EC2Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    // One attempt: the engine retries with backoff inside the level's timeout and must see
    // RequestLimitExceeded itself.
    maxAttempts: 1,
    ...(requestHandler ? { requestHandler } : {}),
  });
}
