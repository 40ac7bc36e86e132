import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bicepDir, keys, params, readBicep, section, settings, strings } from './support/bicep.ts';

/** infra/bicep, read as text: no Bicep compiler can be installed here. */
const main = readBicep('main.bicep');
const app = readBicep('modules/functionApp.bicep');
const storage = readBicep('modules/storage.bicep');
const role = readBicep('modules/fencingRole.bicep');
const vault = readBicep('modules/keyVault.bicep');

describe('bicep modules', () => {
  it('pass each module exactly its declared params, as the compiler would insist', () => {
    const calls = [...main.matchAll(/^module\s+(\w+)\s+'([^']+)'/gm)];
    expect(calls.map((c) => c[2]).sort()).toEqual(
      readdirSync(`${bicepDir}/modules`)
        .map((f) => `modules/${f}`)
        .sort(),
    );
    for (const [, symbol, path] of calls) {
      expect(existsSync(`${bicepDir}/${path}`), path).toBe(true);
      const declared = params(readBicep(path ?? ''));
      const call = section(main, new RegExp(`^module\\s+${symbol}\\s`, 'm'));
      const passed = keys(section(call, 'params:'));
      const required = [...declared].filter(([, hasDefault]) => !hasDefault).map(([name]) => name);
      expect(passed.sort(), path).toEqual(expect.arrayContaining(required));
      expect([...declared.keys()], path).toEqual(expect.arrayContaining(passed));
    }
  });

  it('has a main.bicepparam that sets only declared params and every required one', () => {
    const example = readBicep('main.bicepparam');
    expect(example).toMatch(/^using 'main\.bicep'$/m);
    const set = [...example.matchAll(/^param\s+(\w+)\s*=/gm)].map((m) => m[1]);
    const declared = params(main);
    const required = [...declared].filter(([, d]) => !d).map(([name]) => name);
    expect([...declared.keys()]).toEqual(expect.arrayContaining(set));
    expect(set).toEqual(expect.arrayContaining(required));
  });

  it('outputs the report URL', () => {
    expect(main).toMatch(
      /^output reportUrl string = '\$\{app\.outputs\.apiBaseUrl\}\/v1\/clusters\/\{cluster\}\/reports'$/m,
    );
    expect(app).toMatch(
      /^output apiBaseUrl string = 'https:\/\/\$\{site\.properties\.defaultHostName\}\/api'$/m,
    );
  });
});

describe('bicep: identities and roles', () => {
  it('gives the fence identity a custom role of exactly the actions the driver calls', () => {
    expect(strings(section(role, 'var actions ='))).toEqual([
      'Microsoft.Compute/virtualMachines/read',
      'Microsoft.Compute/virtualMachines/instanceView/read',
      'Microsoft.Compute/virtualMachines/powerOff/action',
      'Microsoft.Compute/virtualMachines/start/action',
    ]);
    const permissions = section(role, 'permissions:');
    expect(permissions).toMatch(/actions: actions\s/);
    expect(permissions).toMatch(/notActions: \[\]/);
    expect(permissions).toMatch(/dataActions: \[\]/);
    expect(role).toMatch(/assignableScopes: assignableScopes/);
    // Assigned at the given resource groups only, to the fence identity.
    const assignments = section(main, /^module fencingAssignments/m);
    expect(assignments).toMatch(/for \(s, i\) in fenceResourceGroups/);
    expect(assignments).toMatch(
      /scope: resourceGroup\(s\.\?subscriptionId \?\? subscription\(\)\.subscriptionId, s\.resourceGroup\)/,
    );
    expect(assignments).toMatch(/principalId: identities\.outputs\.fencePrincipalId/);
  });

  it('gives the app identity the storage data roles, on its own account', () => {
    const roles = section(storage, 'var roles =');
    expect(roles).toContain("'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'");
    expect(roles).toContain(
      "'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'",
    );
    expect(roles).toContain(
      "'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'",
    );
    expect([...roles.matchAll(/^\s*'[^']+':/gm)]).toHaveLength(3); // and no other
    const assignment = section(storage, /^resource appRoles/m);
    expect(assignment).toMatch(/for role in items\(roles\)/);
    expect(assignment).toMatch(/scope: account\s/);
    expect(assignment).toMatch(/principalId: appPrincipalId/);
  });
});

describe('bicep: the Function App', () => {
  const fencer = settings(section(app, 'var fencerSettings ='));

  it('keeps one always-ready instance for the HTTP functions and the fence queue trigger', () => {
    const alwaysReady = section(app, 'alwaysReady:');
    expect(alwaysReady.replace(/\s+/g, ' ')).toBe(
      "[ { name: 'http', instanceCount: alwaysReadyInstances } { name: 'function:fenceWorker', instanceCount: alwaysReadyInstances } ]",
    );
    expect(main).toMatch(/@minValue\(1\)\s+@maxValue\(10\)\s+param alwaysReadyInstances int = 1/);
    expect(app).toMatch(/minimumElasticInstanceCount: alwaysReadyInstances/); // Premium
    expect(app).toMatch(/sku: isFlex \? \{ name: 'FC1', tier: 'FlexConsumption' \}/);
  });

  it('reaches storage with the app identity: shared keys off, identity-based settings', () => {
    expect(storage).toMatch(/allowSharedKeyAccess: false/);
    expect(fencer.get('AzureWebJobsStorage__accountName')).toBe('storageAccountName');
    expect(fencer.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(fencer.get('AzureWebJobsStorage__clientId')).toBe('appClientId');
    expect(fencer.get('FENCER_FENCE_CLIENT_ID')).toBe('fenceClientId');
    expect(app).toMatch(
      /authentication: \{ type: 'UserAssignedIdentity', userAssignedIdentityResourceId: appIdentityId \}/,
    );
    const everything = readdirSync(`${bicepDir}/modules`)
      .map((f) => readBicep(`modules/${f}`))
      .join('\n');
    expect(everything + main).not.toMatch(/listKeys|AccountKey=|name: 'AzureWebJobsStorage'/);
  });

  it('serves HTTPS only with TLS 1.2+, FTP and basic-auth publishing off', () => {
    expect(app).toMatch(/httpsOnly: true/);
    expect(app).toMatch(/minTlsVersion: '1\.2'/);
    expect(app).toMatch(/ftpsState: 'Disabled'/); // Premium only: test/infra/deployRules
    for (const policy of ['ftp', 'scm']) {
      expect(app).toMatch(
        new RegExp(
          `basicPublishingCredentialsPolicies@[\\d-]+' = \\{\\s+parent: site\\s+name: '${policy}'\\s+properties: \\{ allow: false \\}`,
        ),
      );
    }
    expect(storage).toMatch(/minimumTlsVersion: 'TLS1_2'/);
  });

  it('keeps the keys in an RBAC Key Vault, referenced from the app settings', () => {
    expect(vault).toMatch(/enableRbacAuthorization: true/);
    expect(app).toContain(
      `'@Microsoft.KeyVault(VaultName=$\{keyVaultName};SecretName=$\{secret.value})'`,
    );
    expect(app).toMatch(/keyVaultReferenceIdentity: appIdentityId/);
    expect(app).toMatch(
      /var appSettings = concat\(fencerSettings, hostSettings, isFlex \? \[\] : premiumSettings, keyVaultReferences\)/,
    );
    expect(vault).toMatch(
      /roleDefinitionId: subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', secretsUser\)/,
    );
    expect(vault).toContain("var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'");
  });
});
