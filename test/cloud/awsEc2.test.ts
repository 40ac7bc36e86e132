import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsEc2Options } from '../../core/drivers/awsEc2.ts';
import { createDriver } from '../../core/drivers/registry.ts';
import { DriverError } from '../../core/errors.ts';
import { callSignal, driverContext, pollUntilOff, target } from './support/driverContext.ts';
import { type FakeEc2, startFakeEc2 } from './support/fakeEc2.ts';

/**
 * The aws-ec2 driver with the real @aws-sdk/client-ec2 against the local EC2 Query endpoint
 * (test/cloud/support/fakeEc2.ts), which verifies every request's SigV4 signature.
 */
let ec2: FakeEc2;
const keys = {
  'env:AWS_KEY': 'AKIAFENCERTEST000001',
  'env:AWS_SECRET': 'fencer/Test+Secret=Key0123456789',
};
let nextId = 0x1000;

beforeAll(async () => {
  ec2 = await startFakeEc2();
  ec2.addKey(keys['env:AWS_KEY'], keys['env:AWS_SECRET']);
  ec2.addKey('AKIAREADONLY00000001', 'read-only-secret', ['ec2:DescribeInstances']);
});

afterAll(async () => {
  await ec2.stop();
});

/** A fresh instance id per test, so tests share the endpoint but not state. */
function newInstanceId(): string {
  nextId += 1;
  return `i-0abc${nextId.toString(16).padStart(12, '0')}`;
}

function options(instanceId: string, overrides: Partial<AwsEc2Options> = {}): AwsEc2Options {
  return {
    region: ec2.region,
    instanceId,
    endpoint: ec2.url,
    credential: {
      accessKeyId: { secretRef: 'env:AWS_KEY' },
      secretAccessKey: { secretRef: 'env:AWS_SECRET' },
    },
    ...overrides,
  };
}

function driver(
  instanceId: string,
  overrides: Partial<AwsEc2Options> = {},
  secrets: Record<string, string> = keys,
) {
  return createDriver({ 'aws-ec2': options(instanceId, overrides) }, driverContext(secrets));
}

async function failure(promise: Promise<unknown>): Promise<DriverError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DriverError);
  return err as DriverError;
}

describe('aws-ec2 power off', () => {
  it('stops with Force and SkipOsShutdown and is verified off by DescribeInstances', async () => {
    // Prepare
    const id = newInstanceId();
    const instance = ec2.addInstance(id, { stopDelayMs: 300 });
    const d = await driver(id);
    expect(await d.powerState(target, callSignal())).toBe('on');

    // Act
    await d.powerOff(target, callSignal());
    const polled = await pollUntilOff(() => d.powerState(target, callSignal()));

    // Assess
    expect(instance.stopCalls).toBe(1);
    expect(instance.stopParams[0]).toMatchObject({
      Force: 'true',
      SkipOsShutdown: 'true',
      'InstanceId.1': id,
    });
    expect(polled.states[0]).toBe('unknown');
    expect(polled.states.at(-1)).toBe('off');
    expect(polled.ms).toBeLessThan(2_000);
    expect(d.description).toBe(`aws-ec2 ${ec2.region}/${id}`);
  });

  it('reads terminated as off, pending and shutting-down as unknown', async () => {
    // Prepare
    const states = ['terminated', 'pending', 'shutting-down'] as const;
    const ids = states.map((state) => {
      const id = newInstanceId();
      ec2.addInstance(id, { state });
      return id;
    });

    // Act
    const read = await Promise.all(
      ids.map(async (id) => (await driver(id)).powerState(target, callSignal())),
    );

    // Assess
    expect(read).toEqual(['off', 'unknown', 'unknown']);
  });

  it('keeps reading unknown while the instance is stuck in stopping', async () => {
    // Prepare
    const id = newInstanceId();
    ec2.addInstance(id, { stuckStopping: true });
    const d = await driver(id);

    // Act
    await d.powerOff(target, callSignal());
    const polled = await pollUntilOff(() => d.powerState(target, callSignal()), 500);

    // Assess
    expect(polled.states.length).toBeGreaterThan(2);
    expect(new Set(polled.states)).toEqual(new Set(['unknown']));
  });

  it('starts the instance again for unfence with power-on', async () => {
    // Prepare
    const id = newInstanceId();
    const instance = ec2.addInstance(id, { state: 'stopped' });
    const d = await driver(id);

    // Act
    await d.powerOn?.(target, callSignal());
    const state = await d.powerState(target, callSignal());

    // Assess
    expect(instance.startCalls).toBe(1);
    expect(state).toBe('on');
  });
});

describe('aws-ec2 errors', () => {
  it('RequestLimitExceeded is retryable with a back-off hint, and the SDK did not retry', async () => {
    // Prepare
    const id = newInstanceId();
    const instance = ec2.addInstance(id);
    const d = await driver(id);
    ec2.failNext('StopInstances', {
      status: 503,
      code: 'RequestLimitExceeded',
      message: 'Request limit exceeded.',
    });
    const before = ec2.requests.length;

    // Act
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'throttled', retryable: true, retryAfterMs: 1000 });
    expect(err.message).toContain(
      `aws-ec2 ${ec2.region}/${id} StopInstances: RequestLimitExceeded`,
    );
    expect(ec2.requests.length - before).toBe(1);
    await d.powerOff(target, callSignal());
    expect(instance.stopCalls).toBe(1);
  });

  it('an InternalError (5xx) is retryable', async () => {
    // Prepare
    const id = newInstanceId();
    ec2.addInstance(id);
    const d = await driver(id);
    ec2.failNext('DescribeInstances', {
      status: 500,
      code: 'InternalError',
      message: 'An internal error has occurred',
    });

    // Act
    const err = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('an empty 200 body to StopInstances is an error, never a stop', async () => {
    // Prepare
    const id = newInstanceId();
    const instance = ec2.addInstance(id);
    const d = await driver(id);
    ec2.failNext('StopInstances', { emptyBody: true });

    // Act
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'bad-response', retryable: true });
    expect(err.message).toContain(id);
    expect(instance.stopCalls).toBe(0);
  });

  it('an empty body or a missing instance in DescribeInstances is an error, not a state', async () => {
    // Prepare
    const id = newInstanceId();
    ec2.addInstance(id, { state: 'stopped' });
    const d = await driver(id);
    ec2.failNext('DescribeInstances', { emptyBody: true });
    ec2.failNext('DescribeInstances', { omitInstances: true });

    // Act
    const empty = await failure(d.powerState(target, callSignal()));
    const omitted = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(empty.code).toBe('bad-response');
    expect(omitted.code).toBe('bad-response');
    expect(await d.powerState(target, callSignal())).toBe('off');
  });

  it('an unknown instance fails fast with InvalidInstanceID.NotFound', async () => {
    // Prepare
    const d = await driver('i-0fffffffffffffff0');

    // Act
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'not-found', retryable: false });
    expect(err.message).toContain(
      'aws-ec2 eu-west-1/i-0fffffffffffffff0 StopInstances: InvalidInstanceID.NotFound',
    );
  });

  it('UnauthorizedOperation is a non-retryable auth failure naming the target', async () => {
    // Prepare
    const id = newInstanceId();
    const instance = ec2.addInstance(id);
    const d = await driver(
      id,
      {},
      { 'env:AWS_KEY': 'AKIAREADONLY00000001', 'env:AWS_SECRET': 'read-only-secret' },
    );

    // Act
    const state = await d.powerState(target, callSignal());
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(state).toBe('on');
    expect(err).toMatchObject({ code: 'unauthorized', retryable: false });
    expect(err.message).toContain(
      `aws-ec2 eu-west-1/${id} StopInstances: UnauthorizedOperation (HTTP 403)`,
    );
    expect(instance.stopCalls).toBe(0);
  });

  it('a wrong secret key is refused by the signature check (SignatureDoesNotMatch)', async () => {
    // Prepare
    const id = newInstanceId();
    ec2.addInstance(id);
    const d = await driver(id, {}, { ...keys, 'env:AWS_SECRET': 'not-the-secret' });

    // Act
    const err = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'unauthorized', retryable: false });
    expect(err.message).toContain('SignatureDoesNotMatch');
    expect(err.message).not.toContain('not-the-secret');
  });

  it('an unknown access key is AuthFailure', async () => {
    // Prepare
    const id = newInstanceId();
    ec2.addInstance(id);
    const d = await driver(
      id,
      {},
      { 'env:AWS_KEY': 'AKIAUNKNOWN000000001', 'env:AWS_SECRET': 'x' },
    );

    // Act
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'unauthorized', retryable: false });
    expect(err.message).toContain('AuthFailure (HTTP 401)');
  });

  it('IncorrectInstanceState (a pending instance) is retryable', async () => {
    // Prepare
    const id = newInstanceId();
    ec2.addInstance(id, { state: 'pending' });
    const d = await driver(id);

    // Act
    const err = await failure(d.powerOff(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'incorrect-state', retryable: true });
    expect(err.message).toContain('IncorrectInstanceState');
  });

  it('a secretRef that resolves to nothing fails with secret-missing', async () => {
    // Prepare
    const d = await driver(newInstanceId(), {}, {});

    // Act
    const err = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'secret-missing', retryable: false });
  });

  it('an endpoint nobody listens on is a retryable network fault', async () => {
    // Prepare
    const d = await driver(newInstanceId(), { endpoint: 'http://127.0.0.1:9' });

    // Act
    const err = await failure(d.powerState(target, callSignal()));

    // Assess
    expect(err).toMatchObject({ code: 'unreachable', retryable: true });
  });

  it('an abort ends a call to a hung API at once', async () => {
    // Prepare
    const id = newInstanceId();
    ec2.addInstance(id);
    const d = await driver(id);
    ec2.failNext('StopInstances', { delayMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('level timeout')), 200);

    // Act
    const started = Date.now();
    const err = await failure(d.powerOff(target, controller.signal));

    // Assess
    expect(err).toMatchObject({ code: 'aborted', retryable: false });
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
