import { type FakeArm, startFakeArm } from '../cloud/support/fakeArm.ts';
import { type FakeEc2, startFakeEc2 } from '../cloud/support/fakeEc2.ts';

/**
 * The fake ARM/Entra and EC2 endpoints (test/cloud/support) started together for a `fencer
 * serve` process: both HTTPS with one throwaway CA, which the devices trust through `ca:`.
 * `secrets` are the env variables the devices' secretRefs name; pass them to the server.
 */
export interface CloudFakes {
  arm: FakeArm;
  ec2: FakeEc2;
  secrets: Record<string, string>;
  /** Closes both servers and removes the CA's files. */
  stop(): Promise<void>;
}

export const azureResourceGroup = 'rg-fencer-e2e';
const azureClientId = 'fencer-e2e-app';
const awsAccessKeyId = 'AKIAFENCERE2E0000001';

const env = {
  azureSecret: 'FENCER_E2E_AZURE_SECRET',
  azureWrongSecret: 'FENCER_E2E_AZURE_WRONG_SECRET',
  awsKeyId: 'FENCER_E2E_AWS_KEY_ID',
  awsSecret: 'FENCER_E2E_AWS_SECRET',
  awsWrongSecret: 'FENCER_E2E_AWS_WRONG_SECRET',
} as const;

export async function startCloudFakes(): Promise<CloudFakes> {
  const arm = await startFakeArm();
  const ec2 = await startFakeEc2({ tls: arm.ca });
  const azureSecret = 'e2e~AzureClientSecret.0123456789';
  const awsSecret = 'e2e/Aws+Secret=Key0123456789abcdef';
  arm.addClient(azureClientId, azureSecret, ['Microsoft.Compute/virtualMachines/*']);
  ec2.addKey(awsAccessKeyId, awsSecret);
  return {
    arm,
    ec2,
    secrets: {
      [env.azureSecret]: azureSecret,
      [env.azureWrongSecret]: 'e2e~NotTheClientSecret.000000000',
      [env.awsKeyId]: awsAccessKeyId,
      [env.awsSecret]: awsSecret,
      [env.awsWrongSecret]: 'e2e/Not+The=Secret000000000000000',
    },
    async stop() {
      await Promise.all([arm.stop(), ec2.stop()]);
      await arm.ca.dispose();
    },
  };
}

/** A fencer.yaml device for a VM of the fake ARM, as a service principal with a client secret. */
export function azureVmDevice(fakes: CloudFakes, vmName: string, wrongSecret = false) {
  return {
    'azure-vm': {
      subscriptionId: fakes.arm.subscriptionId,
      resourceGroup: azureResourceGroup,
      vmName,
      endpoint: fakes.arm.url,
      authorityHost: fakes.arm.url,
      ca: fakes.arm.ca.caFile,
      credential: {
        tenantId: fakes.arm.entra.tenantId,
        clientId: azureClientId,
        clientSecret: { secretRef: `env:${wrongSecret ? env.azureWrongSecret : env.azureSecret}` },
      },
    },
  };
}

/** A fencer.yaml device for an instance of the fake EC2, with a static key pair. */
export function awsEc2Device(fakes: CloudFakes, instanceId: string, wrongSecret = false) {
  return {
    'aws-ec2': {
      region: fakes.ec2.region,
      instanceId,
      endpoint: fakes.ec2.url,
      ca: fakes.arm.ca.caFile,
      credential: {
        accessKeyId: { secretRef: `env:${env.awsKeyId}` },
        secretAccessKey: { secretRef: `env:${wrongSecret ? env.awsWrongSecret : env.awsSecret}` },
      },
    },
  };
}
