import { beforeAll, describe, expect, it } from 'vitest';
import { bicepModelFindings } from './support/bicepModelCheck.ts';
import { rules } from './support/deployRules.ts';
import { beforeIssue13, type DeploySources, loadSources } from './support/deploySources.ts';
import { schemaFindings } from './support/terraformCheck.ts';

/**
 * The checks must fail on the deployment as it was before issue 13 (a copy of infra/, the
 * deploy doc and the sweeper in test/infra/fixtures/before-issue-13): each row of the issue
 * is caught by a schema check or a rule.
 */
let before: DeploySources;
beforeAll(async () => {
  before = await loadSources(beforeIssue13);
});

describe('the checks on the files before issue 13', () => {
  it('catch the Terraform arguments the providers do not have', () => {
    const found = schemaFindings(before.terraform).map((f) => `${f.at}: ${f.problem}`);
    expect(found).toEqual([
      // Row function.tf:52: not an argument of the flex resource in any 4.x.
      'resource "azurerm_function_app_flex_consumption" "fencer": key_vault_reference_identity_id is not an argument of azurerm_function_app_flex_consumption in azurerm 4.46.0',
      // Row versions.tf:11: storage_account_id on tables only from 4.77.
      'resource "azurerm_storage_table" "ledger": storage_account_id is not an argument of azurerm_storage_table in azurerm 4.46.0',
      'resource "azurerm_storage_table" "ledger": storage_account_name is required by azurerm_storage_table in azurerm 4.46.0',
    ]);
  });

  it('find the Bicep API versions no model here was generated from', async () => {
    const found = (await bicepModelFindings(before.bicepDir)).map((f) => f.problem);
    expect(found).toEqual([
      'Microsoft.Resources/resourceGroups@2024-03-01: the model here (@azure/arm-resources@6.0.0) is api-version 2024-11-01',
      'Microsoft.OperationalInsights/workspaces@2023-09-01: the model here (@azure/arm-operationalinsights@9.0.0) is api-version 2022-10-01',
    ]);
  });

  it.each(rules.map((r) => [r.id, r] as const))('%s fails', (_, rule) => {
    expect(rule.check(before), rule.row).not.toEqual([]);
  });

  it('catch every row of the issue', () => {
    const failing = Object.fromEntries(rules.map((r) => [r.id, r.check(before)]));
    expect(failing).toMatchObject({
      'provider-exactly-one-of-and-conflicts': [
        'azurerm_linux_function_app.fencer: exactly one of storage_account_name, storage_key_vault_secret_id',
      ],
      'linux-function-app-storage': [
        'fencer: exactly one of storage_account_name / storage_key_vault_secret_id, got 0',
        'fencer: storage_uses_managed_identity = true and no access key (an empty key is written otherwise)',
        'fencer: AzureWebJobsStorage__accountName in app_settings (the provider sets it: a permanent diff)',
      ],
      'flex-keyless-storage-string': [
        'fencer: app_settings must set AzureWebJobsStorage = "" (provider #29693 writes AccountKey=;)',
      ],
      'no-ftps-state-on-flex': ['the Flex siteConfig sets ftpsState'],
      'provider-minimums-are-the-checked-schemas': expect.arrayContaining([
        'azurerm minimum >= 4.42, < 5.0 is not the release whose schema test/infra checks (4.46.0)',
      ]),
      'aws-provider-only-in-its-own-root': [
        'the Azure root module configures the aws provider',
        'the Azure root module has aws_* blocks',
        'no AWS root module (infra/terraform/aws) with the role',
      ],
      'role-created-at-first-assignable-scope': [
        'terraform fencing: scope is not assignable_scopes[0]',
        'terraform fencing: name has nothing unique to the deployment',
        'bicep: the fencing role module is not deployed at the first fence scope',
        'bicep: the role name has nothing unique to the deployment',
        'bicep: fencingRole.bicep is not a resource-group module',
      ],
      'flex-maximum-instance-count-from-40': [
        'bicep: maximumInstanceCount is not limited to 40-1000',
        'terraform: maximum_instance_count is not validated to 40-1000',
      ],
      'premium-package-update-syncs-triggers': ['the Premium upload does not sync triggers'],
      'fencing-role-least-privilege': [
        expect.stringContaining('Microsoft.Compute/*/read'),
        expect.stringContaining('Microsoft.Compute/*/read'),
      ],
      'sweeper-not-run-on-startup': ['the sweeper timer runs on every start and scale-out'],
      'fence-identity-app-specific-setting': expect.arrayContaining([
        'terraform sets AZURE_CLIENT_ID',
        'bicep sets AZURE_CLIENT_ID',
      ]),
      'entra-token-version-is-set-and-checked': expect.arrayContaining([
        'the docs do not set the app to v1 tokens',
        'the pre-flight does not check the token version',
      ]),
    });
  });
});
