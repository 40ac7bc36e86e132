import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthAzurite, startOAuthAzurite } from './support/azuriteOAuth.ts';

const probe = fileURLToPath(new URL('./support/identityProbe.ts', import.meta.url));

/**
 * The ledger's identity-based clients (clientsFromIdentity) against Azurite with OAuth on, the
 * stand-in for a storage account with shared-key access off.
 */
describe('ledger storage with an Entra identity', () => {
  let azurite: OAuthAzurite;
  beforeAll(async () => {
    azurite = await startOAuthAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('creates, writes and reads tables and queues with bearer tokens only', async () => {
    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', probe, azurite.tableServiceUri, azurite.queueServiceUri],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: azurite.caFile } },
    );
    const result = JSON.parse(stdout) as Record<string, unknown>;
    // Assess
    expect(result).toMatchObject({ entityState: '{}', messages: ['hello'] });
    expect(result.scopes).toEqual(['https://storage.azure.com/.default']);
    // Azurite does check the token: one from a foreign issuer gets nowhere.
    expect(result.foreignTable).toBe('refused 403');
    expect(result.foreignQueue).toBe('refused 403');
  });
});
