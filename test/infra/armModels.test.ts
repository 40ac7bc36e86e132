import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { armModel } from './support/armModels.ts';
import { bicepDir } from './support/bicep.ts';
import { bicepModelFindings } from './support/bicepModelCheck.ts';

/**
 * infra/bicep against the Azure SDK models (no Bicep compiler runs here): each resource's
 * API version is the one an SDK package here was generated from, and every property path it
 * sets exists in that model.
 */
const scratch = mkdtempSync(join(tmpdir(), 'fencer-bicep-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Bicep against the Azure SDK models', () => {
  it("sets only properties of each resource model, at that model's API version", async () => {
    expect(await bicepModelFindings(bicepDir)).toEqual([]);
  });

  it('takes each model from the SDK operation that PUTs that type', async () => {
    const site = await armModel('Microsoft.Web/sites');
    expect(site).toMatchObject({
      apiVersion: '2024-04-01',
      source: '@azure/arm-appservice@16.0.0',
    });
    expect(site?.body.type.className).toBe('Site');
    const rule = await armModel('Microsoft.Insights/scheduledQueryRules');
    expect(rule).toMatchObject({ apiVersion: '2018-04-16', source: '@azure/arm-monitor@7.0.0' });
    expect(armModel('Microsoft.Compute/virtualMachines')).toBeUndefined();
  });

  it('finds an unknown property, a bad enum value, a wrong API version and an unknown type', async () => {
    // Prepare
    mkdirSync(join(scratch, 'modules'), { recursive: true });
    writeFileSync(
      join(scratch, 'main.bicep'),
      `var isFlex = true
var common = {
  minTlsVersion: '1.2'
  ftpsStat: 'Disabled'
}
resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: 'x'
  location: 'westeurope'
  properties: {
    siteConfig: isFlex ? common : union(common, { linuxFxVersion: 'Node|22' })
    functionAppConfig: { scaleAndConcurrency: { alwaysReady: [{ name: 'http', count: 1 }] } }
  }
}
resource c 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  name: 'c'
  properties: { publicAccess: 'Private' }
}
resource v 'Microsoft.KeyVault/vaults@2022-07-01' = {
  name: 'v'
  location: 'westeurope'
  properties: {}
}
resource n 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: 'n'
}
`,
    );
    // Act
    const found = (await bicepModelFindings(scratch)).map((f) => `${f.at}: ${f.problem}`);
    // Assess
    expect(found).toEqual([
      'main.bicep site (Microsoft.Web/sites@2024-04-01).properties.siteConfig: ftpsStat is not a property of the model',
      'main.bicep site (Microsoft.Web/sites@2024-04-01).properties.functionAppConfig.scaleAndConcurrency.alwaysReady[]: count is not a property of the model',
      "main.bicep c (Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01).properties.publicAccess: 'Private' is not one of Container, Blob, None",
      'main.bicep v: Microsoft.KeyVault/vaults@2022-07-01: the model here (@azure/arm-keyvault@3.1.0) is api-version 2023-07-01',
      'main.bicep n: no SDK here carries a model of Microsoft.Network/virtualNetworks',
    ]);
  });
});
