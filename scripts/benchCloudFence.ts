/**
 * Time from a signed report (POST) to its incident `fenced`, through `fencer serve`, for an
 * azure-vm target and an aws-ec2 target on the local fake ARM/Entra and EC2 endpoints (HTTPS,
 * real SDKs, zero stop delay). Each fence builds its driver afresh (token request and TLS
 * handshakes included), as the worker does.
 *
 *   npx tsx scripts/benchCloudFence.ts [runs]      (default 10)
 *
 * Not a test: numbers depend on the machine. Between runs the node is unfenced with power-on
 * (the drivers' start path), outside the timed part. "observed" is when a GET (every 20 ms)
 * first saw `fenced`; "recorded" is the incident's updatedAt, the ledger write of `fenced`.
 */
import { startEmbeddedAzurite } from '../cli/embeddedAzurite.ts';
import type { Incident } from '../core/protocol/api.ts';
import {
  awsEc2Device,
  azureResourceGroup,
  azureVmDevice,
  startCloudFakes,
} from '../test/support/cloudFakes.ts';
import { startServe } from '../test/support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../test/support/testCluster.ts';

const runs = Number(process.argv[2] ?? 10);
const cluster = 'bench';

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 === 1 ? at(0.5) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, p90: at(0.9), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

const azurite = await startEmbeddedAzurite();
const fakes = await startCloudFakes();
const vm = fakes.arm.addVm(azureResourceGroup, 'vm-bench');
const instance = fakes.ec2.addInstance('i-0bec4000000000001');
const setup = writeTestConfig(
  {
    [cluster]: {
      nodes: {
        a: {},
        az: { levels: [[azureVmDevice(fakes, 'vm-bench')]] },
        ec2: { levels: [[awsEc2Device(fakes, 'i-0bec4000000000001')]] },
      },
    },
  },
  {},
  fakes.secrets,
);
const serve = await startServe(['--config', setup.file], {
  ...setup.env,
  AzureWebJobsStorage: azurite.connectionString,
  FENCER_STORAGE_PREFIX: uniquePrefix('benchcloud'),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});
const reporter = setup.client(serve.url, `${cluster}/a`);
const admin = setup.client(serve.url, 'admin/ops');

/** One report → fenced; returns [observed ms, recorded ms]. */
async function fenceOnce(node: string): Promise<[number, number]> {
  const postedAt = Date.now();
  const started = performance.now();
  const answer = await reporter.request('POST', `/v1/clusters/${cluster}/reports`, {
    target: node,
    reason: 'bench',
  });
  if (answer.status !== 202)
    throw new Error(`report: ${answer.status} ${JSON.stringify(answer.body)}`);
  const id = (answer.body as Incident).incidentId;
  for (;;) {
    const incident = (await reporter.request('GET', `/v1/clusters/${cluster}/incidents/${id}`))
      .body as Incident;
    if (incident.state === 'fenced') {
      return [performance.now() - started, Date.parse(incident.updatedAt) - postedAt];
    }
    if (incident.state !== 'fencing') throw new Error(`${node}: ${JSON.stringify(incident)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Unfence with power-on, and check that the fake says running again. */
async function reset(node: string, power: () => string): Promise<void> {
  const answer = await admin.request('POST', `/v1/clusters/${cluster}/nodes/${node}/unfence`, {
    powerOn: true,
  });
  const body = answer.body as { powerOn?: { ok: boolean; detail: string } };
  if (answer.status !== 200 || !body.powerOn?.ok)
    throw new Error(`unfence ${node}: ${answer.status} ${JSON.stringify(body)}`);
  if (power() !== 'running') throw new Error(`${node} is ${power()} after power-on`);
}

async function measure(name: string, node: string, power: () => string) {
  const [cold] = await fenceOnce(node); // first fence: lazy SDK import, first handshakes
  const observed: number[] = [];
  const recorded: number[] = [];
  for (let i = 0; i < runs; i++) {
    await reset(node, power);
    const [o, r] = await fenceOnce(node);
    observed.push(o);
    recorded.push(r);
  }
  await reset(node, power);
  const f = (n: number) => `${n.toFixed(0)} ms`.padStart(7);
  const line = (label: string, s: ReturnType<typeof stats>) =>
    `  ${label.padEnd(9)} median ${f(s.median)}  p90 ${f(s.p90)}  min ${f(s.min)}  max ${f(s.max)}\n`;
  process.stdout.write(`${name}: report → fenced, ${runs} runs (first fence, cold: ${f(cold)})\n`);
  process.stdout.write(line('observed', stats(observed)));
  process.stdout.write(line('recorded', stats(recorded)));
}

try {
  await measure('azure-vm (fake ARM + Entra)', 'az', () => fakes.arm.powerOf(vm));
  await measure('aws-ec2 (fake EC2)', 'ec2', () => fakes.ec2.stateOf(instance));
} finally {
  await serve.stop();
  await fakes.stop();
  await azurite.stop();
}
