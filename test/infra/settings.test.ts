import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getRuntime, resetRuntime } from '../../functions/deps.ts';
import {
  readSetting,
  storageConnection,
  unresolvedKeyVaultReferences,
} from '../../functions/settings.ts';

describe('storage connection from the app settings', () => {
  it('prefers a connection string, as the Functions host does', () => {
    // Act
    const connection = storageConnection({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      AzureWebJobsStorage__accountName: 'fencerabc',
    });
    // Assess
    expect(connection).toEqual({
      kind: 'connection-string',
      connectionString: 'UseDevelopmentStorage=true',
    });
  });

  it('derives the table and queue endpoints from the account name', () => {
    const connection = storageConnection({
      AzureWebJobsStorage: '',
      AzureWebJobsStorage__accountName: 'fencerabc',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: 'app-client-id',
    });
    expect(connection).toEqual({
      kind: 'identity',
      tableServiceUri: 'https://fencerabc.table.core.windows.net',
      queueServiceUri: 'https://fencerabc.queue.core.windows.net',
      credential: { kind: 'managed-identity', clientId: 'app-client-id' },
    });
  });

  it('takes explicit service URIs (other clouds, private endpoints) over the derived ones', () => {
    const connection = storageConnection({
      AzureWebJobsStorage__accountName: 'fencerabc',
      AzureWebJobsStorage__tableServiceUri: 'https://fencerabc.table.core.usgovcloudapi.net/',
      AzureWebJobsStorage__queueServiceUri: 'https://fencerabc.queue.core.usgovcloudapi.net',
      AzureWebJobsStorage__credential: 'ManagedIdentity',
    });
    expect(connection).toMatchObject({
      tableServiceUri: 'https://fencerabc.table.core.usgovcloudapi.net',
      queueServiceUri: 'https://fencerabc.queue.core.usgovcloudapi.net',
      credential: { kind: 'managed-identity' },
    });
  });

  it('ignores __clientId without __credential, like the host, and uses the default chain', () => {
    const connection = storageConnection({
      AzureWebJobsStorage__accountName: 'fencerabc',
      AzureWebJobsStorage__clientId: 'app-client-id',
    });
    expect(connection).toMatchObject({ kind: 'identity', credential: { kind: 'default' } });
  });

  it('refuses half an identity configuration and unknown credential kinds', () => {
    expect(() => storageConnection({})).toThrow(/AzureWebJobsStorage__accountName/);
    expect(() =>
      storageConnection({ AzureWebJobsStorage__tableServiceUri: 'https://t.example' }),
    ).toThrow(/must both be set/);
    expect(() =>
      storageConnection({
        AzureWebJobsStorage__accountName: 'fencerabc',
        AzureWebJobsStorage__credential: 'clientsecret',
      }),
    ).toThrow(/managedidentity/);
  });

  it("ignores a connection string without a credential, as Terraform's flex resource writes it", () => {
    // Prepare: what azurerm writes with storage_authentication_type = UserAssignedIdentity
    const keyless =
      'DefaultEndpointsProtocol=https;AccountName=fencerabc;AccountKey=;EndpointSuffix=core.windows.net';
    // Act
    const connection = storageConnection({
      AzureWebJobsStorage: keyless,
      AzureWebJobsStorage__accountName: 'fencerabc',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: 'app-client-id',
    });
    // Assess: the identity settings, not an empty key
    expect(connection).toMatchObject({
      kind: 'identity',
      credential: { kind: 'managed-identity', clientId: 'app-client-id' },
    });
    expect(() => storageConnection({ AzureWebJobsStorage: keyless })).toThrow(
      /carries no credential/,
    );
  });

  it("takes a connection string with a key, a SAS or Azurite's shortcut", () => {
    for (const connectionString of [
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5;EndpointSuffix=core.windows.net',
      'BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2024&sig=x',
      'UseDevelopmentStorage=true',
    ]) {
      expect(
        storageConnection({
          AzureWebJobsStorage: connectionString,
          AzureWebJobsStorage__accountName: 'fencerabc',
        }),
      ).toEqual({ kind: 'connection-string', connectionString });
    }
  });

  it('reads an empty setting as unset', () => {
    expect(readSetting({ FENCER_CONFIG: '' }, 'FENCER_CONFIG')).toBeUndefined();
    expect(readSetting({ FENCER_CONFIG: 'x.yaml' }, 'FENCER_CONFIG')).toBe('x.yaml');
  });
});

describe('unresolved Key Vault references', () => {
  afterEach(() => resetRuntime());

  it('names the settings whose value is still a reference', () => {
    expect(
      unresolvedKeyVaultReferences({
        FENCER_KEY_B: '@Microsoft.KeyVault(VaultName=v;SecretName=b)',
        FENCER_KEY_A: ' @Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/a)',
        FENCER_KEY_C: 'c2VjcmV0',
      }),
    ).toEqual(['FENCER_KEY_A', 'FENCER_KEY_B']);
  });

  it('never lets the reference text become a key: the app does not start', async () => {
    // Prepare: a key whose reference the platform could not resolve
    const dir = mkdtempSync(join(tmpdir(), 'fencer-kvref-'));
    const config = join(dir, 'fencer.yaml');
    writeFileSync(
      config,
      [
        'clusters:',
        '  c1:',
        '    nodes:',
        '      a: { key: { secretRef: env:FENCER_KEY_A }, levels: [[{ dummy: { statusFile: a.json } }]] }',
        '      b: { key: { secretRef: env:FENCER_KEY_B }, levels: [[{ dummy: { statusFile: b.json } }]] }',
      ].join('\n'),
    );
    // Act
    const started = getRuntime({
      FENCER_CONFIG: config,
      FENCER_KEY_A: randomBytes(32).toString('base64'),
      FENCER_KEY_B: '@Microsoft.KeyVault(VaultName=fencer-kv;SecretName=fencer-key-c1-b)',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    });
    // Assess: refused as missing, before any storage call
    await expect(started).rejects.toThrow(/FENCER_KEY_B is not set/);
  });
});
