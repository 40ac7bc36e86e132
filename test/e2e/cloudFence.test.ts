import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import {
  awsEc2Device,
  azureResourceGroup,
  azureVmDevice,
  type CloudFakes,
  startCloudFakes,
} from '../support/cloudFakes.ts';
import { startServe } from '../support/processes.ts';
import { type ClusterSpec, writeTestConfig } from '../support/testCluster.ts';

/**
 * Issue 3 end to end: signed reports to one `fencer serve` process whose nodes are fenced by
 * the azure-vm and aws-ec2 drivers (the real SDKs) against the fake ARM/Entra and EC2 endpoints
 * over HTTPS. Each scenario has its own cluster: node `a` reports, node `b` is the cloud target.
 */
const stopDelayMs = 2_000;
const deadlineSeconds = 30;
const stuckDeadlineSeconds = 6;
const scenarios = ['ok', 'throttled', 'stuck', 'cred'] as const;
type Scenario = (typeof scenarios)[number];

/** What a test reads from the fake about its target. */
interface FakeTarget {
  powerOffCalls(): number;
  /** The vendor's power state name now (a delayed change takes effect when read). */
  power(): string;
  /** When the endpoint starts answering stopped (set by an accepted power-off, until then). */
  stopsAt(): number | undefined;
  /** The parameters of the first power-off the endpoint acted on. */
  firstPowerOff(): Record<string, string> | undefined;
}

interface Cloud {
  name: 'azure' | 'ec2';
  driver: 'azure-vm' | 'aws-ec2';
  /** Adds the scenario's target to the fake and returns its device for fencer.yaml. */
  addTarget(scenario: Scenario): { device: Record<string, unknown>; fake: FakeTarget };
  /**
   * The next `times` power-off calls and status reads are throttled the vendor's way (each
   * power-off with a hint of 1 s).
   */
  throttle(times: number): void;
  /** The vendor's throttling code, as the attempt detail should name it. */
  throttleCode: string;
  /** The hard-stop flags, as the endpoint received them. */
  hardStop: Record<string, string>;
  /** The SDK's error codes for a refused credential. */
  authError: RegExp[];
}

let fakes: CloudFakes;
const targets = new Map<string, FakeTarget>();

const clouds: Cloud[] = [
  {
    name: 'azure',
    driver: 'azure-vm',
    addTarget(scenario) {
      const vmName = `vm-${scenario}`;
      const vm = fakes.arm.addVm(azureResourceGroup, vmName, {
        offDelayMs: scenario === 'ok' ? stopDelayMs : 0,
        stuckStopping: scenario === 'stuck',
      });
      return {
        device: azureVmDevice(fakes, vmName, scenario === 'cred'),
        fake: {
          powerOffCalls: () => vm.powerOffCalls,
          power: () => fakes.arm.powerOf(vm),
          stopsAt: () => vm.changeAt,
          firstPowerOff: () =>
            vm.powerOffQueries[0] === undefined
              ? undefined
              : Object.fromEntries(new URLSearchParams(vm.powerOffQueries[0])),
        },
      };
    },
    throttle(times) {
      const fault = { status: 429, code: 'TooManyRequests', retryAfter: '1' };
      fakes.arm.failNext('powerOff', fault, times);
      fakes.arm.failNext('instanceView', fault, times);
    },
    throttleCode: 'TooManyRequests',
    hardStop: { skipShutdown: 'true' },
    authError: [/invalid_client/, /AADSTS7000215/],
  },
  {
    name: 'ec2',
    driver: 'aws-ec2',
    addTarget(scenario) {
      const instanceId = `i-0e2e0000000000${scenarios.indexOf(scenario).toString(16).padStart(2, '0')}`;
      const instance = fakes.ec2.addInstance(instanceId, {
        stopDelayMs: scenario === 'ok' ? stopDelayMs : 0,
        stuckStopping: scenario === 'stuck',
      });
      return {
        device: awsEc2Device(fakes, instanceId, scenario === 'cred'),
        fake: {
          powerOffCalls: () => instance.stopCalls,
          power: () => fakes.ec2.stateOf(instance),
          stopsAt: () => instance.changeAt,
          firstPowerOff: () => instance.stopParams[0],
        },
      };
    },
    throttle(times) {
      const fault = {
        status: 503,
        code: 'RequestLimitExceeded',
        message: 'Request limit exceeded.',
      };
      fakes.ec2.failNext('StopInstances', fault, times);
      fakes.ec2.failNext('DescribeInstances', fault, times);
    },
    throttleCode: 'RequestLimitExceeded',
    hardStop: { Force: 'true', SkipOsShutdown: 'true' },
    authError: [/SignatureDoesNotMatch/],
  },
];

let serve: Awaited<ReturnType<typeof startServe>>;
let setup: ReturnType<typeof writeTestConfig>;

beforeAll(async () => {
  fakes = await startCloudFakes();
  const clusters: Record<string, ClusterSpec> = {};
  for (const cloud of clouds) {
    for (const scenario of scenarios) {
      const { device, fake } = cloud.addTarget(scenario);
      const cluster = `${cloud.name}-${scenario}`;
      targets.set(cluster, fake);
      clusters[cluster] = {
        options: {
          fenceDeadlineSeconds: scenario === 'stuck' ? stuckDeadlineSeconds : deadlineSeconds,
        },
        nodes: { a: {}, b: { levels: [[device]] } },
      };
    }
  }
  setup = writeTestConfig(clusters, {}, fakes.secrets);
  serve = await startServe(['--config', setup.file], {
    ...setup.env,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});

afterAll(async () => {
  const code = serve ? await serve.stop() : 0;
  await fakes?.stop();
  expect(code).toBe(0);
});

/** Node `a` of the cluster reports `b`; resolves when the report is accepted. */
async function reportB(cluster: string) {
  const startedAt = Date.now();
  const answer = await setup
    .client(serve.url, `${cluster}/a`)
    .request('POST', `/v1/clusters/${cluster}/reports`, { target: 'b', reason: 'e2e' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return { id: (answer.body as Incident).incidentId, startedAt };
}

async function incident(cluster: string, id: string, waitSeconds = 0): Promise<Incident> {
  const query = waitSeconds > 0 ? `?waitSeconds=${waitSeconds}` : '';
  const answer = await setup
    .client(serve.url, `${cluster}/a`)
    .request('GET', `/v1/clusters/${cluster}/incidents/${id}${query}`);
  expect(answer.status).toBe(200);
  return answer.body as Incident;
}

async function nodeB(cluster: string) {
  const answer = await setup
    .client(serve.url, `${cluster}/a`)
    .request('GET', `/v1/clusters/${cluster}`);
  return (answer.body as ClusterView).nodes.find((n) => n.name === 'b');
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(clouds)('$driver through fencer serve', (cloud) => {
  const cluster = (scenario: Scenario) => `${cloud.name}-${scenario}`;
  const fake = (scenario: Scenario) => targets.get(cluster(scenario)) as FakeTarget;

  it('a report ends fenced only after the endpoint reports the target stopped', async () => {
    // Prepare
    const target = fake('ok');
    expect(target.power()).toBe('running');

    // Act: report, then look while the endpoint still says stopping.
    const { id } = await reportB(cluster('ok'));
    await until(() => target.powerOffCalls() === 1, 15_000);
    const stopsAt = target.stopsAt();
    const midway = await incident(cluster('ok'), id);
    const midwayAt = Date.now();
    const done = await incident(cluster('ok'), id, deadlineSeconds);

    // Assess
    expect(stopsAt).toBeGreaterThan(midwayAt);
    expect(midway.state).toBe('fencing');
    expect(done).toMatchObject({ state: 'fenced', target: 'b', reporters: ['a'] });
    expect(Date.parse(done.updatedAt)).toBeGreaterThanOrEqual(stopsAt ?? Number.POSITIVE_INFINITY);
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ level: 1, driver: cloud.driver, outcome: 'off' });
    expect(done.attempts[0]?.detail).toContain('verified off');
    expect(target.powerOffCalls()).toBe(1);
    expect(target.firstPowerOff()).toMatchObject(cloud.hardStop);
    expect(target.power()).toBe('stopped');
    expect(await nodeB(cluster('ok'))).toMatchObject({ state: 'fenced', incidentId: id });
  });

  it('a throttled API is retried after its throttling hint and still ends fenced', async () => {
    // Prepare: the initial status read, the first status poll and two power-offs are throttled.
    const target = fake('throttled');
    cloud.throttle(2);

    // Act
    const { id, startedAt } = await reportB(cluster('throttled'));
    const done = await incident(cluster('throttled'), id, deadlineSeconds);
    const elapsedMs = Date.now() - startedAt;

    // Assess: two waits of about 1 s each, well within the deadline.
    expect(done.state).toBe('fenced');
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]?.outcome).toBe('off');
    expect(done.attempts[0]?.detail).toContain('power off needed 2 retries');
    expect(done.attempts[0]?.detail).toMatch(
      new RegExp(`initial status failed: .*${cloud.throttleCode}`),
    );
    expect(elapsedMs).toBeGreaterThanOrEqual(2_000);
    expect(elapsedMs).toBeLessThan(deadlineSeconds * 1000);
    expect(target.powerOffCalls()).toBe(1);
    expect(target.power()).toBe('stopped');
  });

  it('a target stuck in stopping ends failed at the deadline, never fenced', async () => {
    // Prepare
    const target = fake('stuck');

    // Act
    const { id, startedAt } = await reportB(cluster('stuck'));
    const done = await incident(cluster('stuck'), id, stuckDeadlineSeconds + 20);
    const elapsedMs = Date.now() - startedAt;

    // Assess
    expect(done.state).toBe('failed');
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ driver: cloud.driver, outcome: 'timeout' });
    expect(done.attempts[0]?.detail).toContain('not verified off within');
    expect(elapsedMs).toBeGreaterThanOrEqual(stuckDeadlineSeconds * 1000);
    expect(elapsedMs).toBeLessThan((stuckDeadlineSeconds + 4) * 1000);
    expect(target.powerOffCalls()).toBe(1);
    expect(target.power()).toBe('stopping');
    expect(await nodeB(cluster('stuck'))).toMatchObject({ state: 'failed' });
  });

  it('a wrong credential ends failed at once, with the SDK error code in the attempt', async () => {
    // Prepare
    const target = fake('cred');

    // Act
    const { id, startedAt } = await reportB(cluster('cred'));
    const done = await incident(cluster('cred'), id, deadlineSeconds);
    const elapsedMs = Date.now() - startedAt;

    // Assess: a refused credential is not retried ("failed after N retries") nor waited out.
    expect(done.state).toBe('failed');
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ driver: cloud.driver, outcome: 'error' });
    for (const code of cloud.authError) expect(done.attempts[0]?.detail).toMatch(code);
    expect(done.attempts[0]?.detail).toContain('power off failed: ');
    expect(done.attempts[0]?.detail).toContain('[unauthorized]');
    expect(elapsedMs).toBeLessThan(5_000);
    expect(target.powerOffCalls()).toBe(0);
    expect(target.power()).toBe('running');
    expect(await nodeB(cluster('cred'))).toMatchObject({ state: 'failed' });
  });
});
