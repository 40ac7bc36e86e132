import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/load.ts';
import { withFenceIdentity } from '../../functions/deps.ts';

/** FENCER_FENCE_CLIENT_ID: the fence identity of devices that name no credential of their own. */
const yaml = [
  'clusters:',
  '  c1:',
  '    nodes:',
  '      a:',
  '        key: { secretRef: env:KA }',
  '        levels:',
  '          - [ { azure-vm: { subscriptionId: s, resourceGroup: rg, vmName: a } } ]',
  '          - [ { aws-ec2: { region: eu-west-1, instanceId: i-0123456789abcdef0, credential: { webIdentity: { roleArn: "arn:aws:iam::123456789012:role/fencer", audience: "api://fencer-aws" } } } } ]',
  '      b:',
  '        key: { secretRef: env:KB }',
  '        levels:',
  '          - [ { azure-vm: { subscriptionId: s, resourceGroup: rg, vmName: b, credential: { managedIdentityClientId: own } } } ]',
  '          - [ { aws-ec2: { region: eu-west-1, instanceId: i-0123456789abcdef1, credential: { webIdentity: { roleArn: "arn:aws:iam::123456789012:role/fencer", audience: "api://fencer-aws", managedIdentityClientId: own } } } } ]',
].join('\n');
const env = { KA: 'a'.repeat(44), KB: 'b'.repeat(44) };

describe('the fence identity setting', () => {
  it('becomes the credential of every azure-vm and web-identity device that names none', () => {
    // Prepare
    const loaded = parseConfig(yaml, '/tmp/fencer.yaml', { env });
    // Act
    const { config } = withFenceIdentity(loaded, 'fence-client-id');
    // Assess
    const [a, b] = [config.clusters.c1?.nodes.a, config.clusters.c1?.nodes.b];
    expect(a?.levels[0]?.[0]?.['azure-vm']?.credential).toEqual({
      managedIdentityClientId: 'fence-client-id',
    });
    expect(a?.levels[1]?.[0]?.['aws-ec2']?.credential).toMatchObject({
      webIdentity: { managedIdentityClientId: 'fence-client-id' },
    });
    // A credential in fencer.yaml wins.
    expect(b?.levels[0]?.[0]?.['azure-vm']?.credential).toEqual({ managedIdentityClientId: 'own' });
    expect(b?.levels[1]?.[0]?.['aws-ec2']?.credential).toMatchObject({
      webIdentity: { managedIdentityClientId: 'own' },
    });
    // The loaded config itself is left as it was.
    expect(
      loaded.config.clusters.c1?.nodes.a?.levels[0]?.[0]?.['azure-vm']?.credential,
    ).toBeUndefined();
  });

  it('changes nothing when unset', () => {
    const loaded = parseConfig(yaml, '/tmp/fencer.yaml', { env });
    expect(withFenceIdentity(loaded, undefined)).toBe(loaded);
  });
});
