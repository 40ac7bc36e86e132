import type { Incident } from '../core/protocol/api.ts';
import {
  awsEc2Device,
  azureResourceGroup,
  azureVmDevice,
  startCloudFakes,
} from '../test/support/cloudFakes.ts';
import { startBenchServer } from './server.ts';
import { type Summary, summarize } from './stats.ts';

export interface CloudFence {
  azureVm: { fence: Summary; cold: number };
  awsEc2: { fence: Summary; cold: number };
}

/**
 * Report → incident `fenced` (the ledger's updatedAt) through `fencer serve`, for an azure-vm
 * and an aws-ec2 target on the local fake ARM/Entra and EC2 endpoints (HTTPS, the real SDKs,
 * zero stop delay). Each fence builds its driver afresh (token request and TLS handshakes
 * included), as the worker does. Between runs the node is unfenced with power-on, untimed.
 */
export async function benchCloudFence(runs: number): Promise<CloudFence> {
  const fakes = await startCloudFakes();
  const vm = fakes.arm.addVm(azureResourceGroup, 'vm-bench');
  const instance = fakes.ec2.addInstance('i-0bec4000000000001');
  const server = await startBenchServer(
    {
      bench: {
        nodes: {
          a: {},
          az: { levels: [[azureVmDevice(fakes, 'vm-bench')]] },
          ec2: { levels: [[awsEc2Device(fakes, 'i-0bec4000000000001')]] },
        },
      },
    },
    {},
    { ...fakes.secrets, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  );
  const reporter = server.client('bench/a');
  const admin = server.client('admin/ops');

  const fenceOnce = async (node: string) => {
    const postedAt = Date.now();
    const answer = await reporter.request('POST', '/v1/clusters/bench/reports', {
      target: node,
      reason: 'bench',
    });
    if (answer.status !== 202)
      throw new Error(`report: ${answer.status} ${JSON.stringify(answer.body)}`);
    const id = (answer.body as Incident).incidentId;
    const incident = (
      await reporter.request('GET', `/v1/clusters/bench/incidents/${id}?waitSeconds=30`)
    ).body as Incident;
    if (incident.state !== 'fenced') throw new Error(`${node}: ${JSON.stringify(incident)}`);
    return Date.parse(incident.updatedAt) - postedAt;
  };
  const reset = async (node: string, power: () => string) => {
    const answer = await admin.request('POST', `/v1/clusters/bench/nodes/${node}/unfence`, {
      powerOn: true,
    });
    const body = answer.body as { powerOn?: { ok: boolean; detail: string } };
    if (answer.status !== 200 || !body.powerOn?.ok)
      throw new Error(`unfence ${node}: ${answer.status} ${JSON.stringify(body)}`);
    if (power() !== 'running') throw new Error(`${node} is ${power()} after power-on`);
  };
  const measure = async (node: string, power: () => string) => {
    const cold = await fenceOnce(node); // the first fence loads the SDK and makes the first handshakes
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      await reset(node, power);
      samples.push(await fenceOnce(node));
    }
    await reset(node, power);
    return { fence: summarize(samples), cold };
  };
  try {
    return {
      azureVm: await measure('az', () => fakes.arm.powerOf(vm)),
      awsEc2: await measure('ec2', () => fakes.ec2.stateOf(instance)),
    };
  } finally {
    await server.stop();
    await fakes.stop();
  }
}
