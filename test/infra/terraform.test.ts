import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import { block, type Json, list, loadTerraform, single, terraformDir } from './support/hcl.ts';

/**
 * infra/terraform, read with @cdktf/hcl2json (no providers can be installed offline, so
 * `terraform validate` cannot run here; `terraform fmt` can).
 */
let doc: Record<string, Json>;
let files: string[];
let aws: Record<string, Json>;
beforeAll(async () => {
  ({ doc, files } = await loadTerraform());
  ({ doc: aws } = await loadTerraform(join(terraformDir, 'aws')));
});

/** An HCL interpolation as hcl2json writes it: `${expr}`. */
const ref = (expr: string) => `$\{${expr}}`;

const hasTerraform = spawnSync('terraform', ['version'], { stdio: 'ignore' }).status === 0;

describe('terraform files', () => {
  it('parse, and are formatted as `terraform fmt` wants where terraform is installed', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'alerts.tf',
        'function.tf',
        'outputs.tf',
        'variables.tf',
        'versions.tf',
      ]),
    );
    if (hasTerraform) {
      // Throws (non-zero exit, with the diff) when a file is not formatted.
      execFileSync('terraform', ['fmt', '-check', '-diff', '-recursive', terraformDir], {
        stdio: 'pipe',
      });
      for (const dir of [terraformDir, join(terraformDir, 'aws')]) {
        const example = readFileSync(join(dir, 'terraform.tfvars.example'), 'utf8');
        const formatted = execFileSync('terraform', ['fmt', '-'], {
          input: example,
          encoding: 'utf8',
        });
        expect(formatted, dir).toBe(example);
      }
    }
  });

  it('declares every variable with a description, and validates every constrained one', () => {
    const variables = block(doc, 'variable') as Record<string, Json>;
    const unvalidated = ['tags'];
    const awsVariables = block(aws, 'variable') as Record<string, Json>;
    for (const [name, value] of [...Object.entries(variables), ...Object.entries(awsVariables)]) {
      const variable = single(value, name);
      expect(variable.description, name).toEqual(expect.any(String));
      if (!unvalidated.includes(name))
        expect(list(variable.validation).length, name).toBeGreaterThan(0);
    }
  });

  it('has a terraform.tfvars.example per root module that sets only declared variables and every required one', async () => {
    for (const [dir, module] of [
      [terraformDir, doc],
      [join(terraformDir, 'aws'), aws],
    ] as const) {
      const example = (await parse(
        'terraform.tfvars.example',
        readFileSync(join(dir, 'terraform.tfvars.example'), 'utf8'),
      )) as Record<string, Json>;
      const variables = block(module, 'variable') as Record<string, Json>;
      const required = Object.entries(variables)
        .filter(([name, v]) => single(v, name).default === undefined)
        .map(([name]) => name);
      expect(Object.keys(variables), dir).toEqual(expect.arrayContaining(Object.keys(example)));
      expect(Object.keys(example), dir).toEqual(expect.arrayContaining(required));
    }
  });

  it('describes every output, and outputs the report URL', () => {
    const outputs = block(doc, 'output') as Record<string, Json>;
    const awsOutputs = block(aws, 'output') as Record<string, Json>;
    for (const [name, value] of [...Object.entries(outputs), ...Object.entries(awsOutputs)]) {
      expect(single(value, name).description, name).toEqual(expect.any(String));
    }
    expect(single(outputs.report_url).value).toMatch(
      /^https:\/\/\$\{local\.function_host\}\/api\/v1\/clusters\/\{cluster\}\/reports$/,
    );
  });
});

describe('AWS side (its own root module)', () => {
  it('lets the role only stop and start instances tagged with a cluster, and describe', () => {
    const policy = block(aws, 'data', 'aws_iam_policy_document', 'fence');
    const statements = list(policy.statement);
    const actions = statements.flatMap((s) => s.actions as string[]).sort();
    expect(actions).toEqual(['ec2:DescribeInstances', 'ec2:StartInstances', 'ec2:StopInstances']);
    expect(statements.every((s) => s.effect === 'Allow' && s.not_actions === undefined)).toBe(true);
    const stopStart = statements.find((s) => (s.actions as string[]).includes('ec2:StopInstances'));
    expect(stopStart?.actions).toEqual(['ec2:StopInstances', 'ec2:StartInstances']);
    expect(String((stopStart?.resources as string[] | undefined)?.[0])).toMatch(
      /:ec2:\*:\$\{.+account_id\}:instance\/\*$/,
    );
    expect(list(stopStart?.condition)).toEqual([
      {
        test: 'StringEquals',
        variable: 'aws:ResourceTag/fencer-cluster',
        values: ref('var.aws_fence_clusters'),
      },
    ]);
    const describe = statements.find((s) =>
      (s.actions as string[]).includes('ec2:DescribeInstances'),
    );
    // DescribeInstances has no resource-level permissions: "*" is the only form EC2 accepts.
    expect(describe).toMatchObject({ actions: ['ec2:DescribeInstances'], resources: ['*'] });
    expect(block(aws, 'resource', 'aws_iam_role_policy', 'fence').policy).toBe(
      ref('data.aws_iam_policy_document.fence.json'),
    );
  });

  it('trusts only the fence identity, through Entra tokens for the configured audience', () => {
    const provider = block(aws, 'resource', 'aws_iam_openid_connect_provider', 'entra');
    expect(provider).toMatchObject({
      url: ref('local.entra_issuer'),
      client_id_list: [ref('var.aws_audience')],
    });
    const locals = list(aws.locals);
    const issuer = locals.find((l) => l.entra_issuer !== undefined);
    expect(issuer).toMatchObject({
      entra_issuer: `https://sts.windows.net/${ref('var.tenant_id')}/`,
      entra_issuer_key: `sts.windows.net/${ref('var.tenant_id')}/`,
    });
    const trust = single(block(aws, 'data', 'aws_iam_policy_document', 'trust').statement);
    expect(trust.actions).toEqual(['sts:AssumeRoleWithWebIdentity']);
    expect(list(trust.principals)).toEqual([
      { type: 'Federated', identifiers: [ref('aws_iam_openid_connect_provider.entra.arn')] },
    ]);
    expect(list(trust.condition)).toEqual([
      {
        test: 'StringEquals',
        variable: `${ref('local.entra_issuer_key')}:aud`,
        values: [ref('var.aws_audience')],
      },
      {
        test: 'StringEquals',
        variable: `${ref('local.entra_issuer_key')}:sub`,
        values: [ref('var.fence_identity_principal_id')],
      },
    ]);
    expect(block(aws, 'resource', 'aws_iam_role', 'fence').assume_role_policy).toBe(
      ref('data.aws_iam_policy_document.trust.json'),
    );
  });
});

describe('Azure side', () => {
  it('gives the fence identity a custom role of exactly the actions the driver calls', () => {
    const role = block(doc, 'resource', 'azurerm_role_definition', 'fencing');
    const permissions = single(role.permissions);
    expect(permissions.actions).toEqual([
      'Microsoft.Compute/virtualMachines/read',
      'Microsoft.Compute/virtualMachines/instanceView/read',
      'Microsoft.Compute/virtualMachines/powerOff/action',
      'Microsoft.Compute/virtualMachines/start/action',
    ]);
    expect(permissions.not_actions).toEqual([]);
    expect(permissions.data_actions).toBeUndefined();
    expect(role.assignable_scopes).toBe(ref('local.fence_scopes'));
    expect(block(doc, 'resource', 'azurerm_role_assignment', 'fencing')).toMatchObject({
      for_each: ref('local.fence_assignments'),
      scope: ref('each.value.scope'),
      role_definition_id: expect.stringContaining(
        ref('azurerm_role_definition.fencing.role_definition_id'),
      ),
      principal_id: ref('azurerm_user_assigned_identity.fence.principal_id'),
    });
  });

  it('keeps one always-ready instance for the HTTP functions and the fence queue trigger', () => {
    const flex = block(doc, 'resource', 'azurerm_function_app_flex_consumption', 'fencer');
    expect(list(flex.always_ready)).toEqual([
      { name: 'http', instance_count: ref('var.always_ready_instances') },
      { name: 'function:fenceWorker', instance_count: ref('var.always_ready_instances') },
    ]);
    const premium = block(doc, 'resource', 'azurerm_linux_function_app', 'fencer');
    expect(single(premium.site_config).elastic_instance_minimum).toBe(
      ref('var.always_ready_instances'),
    );
    const variable = single(
      (block(doc, 'variable') as Record<string, Json>).always_ready_instances,
    );
    expect(variable.default).toBe(1);
  });

  it('serves HTTPS only with TLS 1.2+, FTP and basic-auth publishing off', () => {
    const flex = block(doc, 'resource', 'azurerm_function_app_flex_consumption', 'fencer');
    const premium = block(doc, 'resource', 'azurerm_linux_function_app', 'fencer');
    for (const app of [flex, premium]) {
      expect(app.https_only).toBe(true);
      expect(app.webdeploy_publish_basic_authentication_enabled).toBe(false);
      expect(single(app.site_config).minimum_tls_version).toBe('1.2');
    }
    expect(premium.ftp_publish_basic_authentication_enabled).toBe(false);
    expect(single(premium.site_config).ftps_state).toBe('Disabled');
  });

  it('reaches storage with the app identity: shared keys off, identity settings, data roles', () => {
    const account = block(doc, 'resource', 'azurerm_storage_account', 'fencer');
    expect(account).toMatchObject({
      shared_access_key_enabled: false,
      min_tls_version: 'TLS1_2',
      account_replication_type: ref('var.storage_replication'),
    });
    const settings = list(doc.locals).find((l) => l.fencer_settings)?.fencer_settings;
    expect(settings).toMatchObject({
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: ref('azurerm_user_assigned_identity.app.client_id'),
    });
    // Flex: the account by name in its settings; Premium: by the provider's own arguments.
    expect(list(doc.locals).find((l) => l.flex_settings)?.flex_settings).toMatchObject({
      AzureWebJobsStorage: '',
      AzureWebJobsStorage__accountName: ref('azurerm_storage_account.fencer.name'),
    });
    expect(block(doc, 'resource', 'azurerm_linux_function_app', 'fencer')).toMatchObject({
      storage_account_name: ref('azurerm_storage_account.fencer.name'),
      storage_uses_managed_identity: true,
    });
    expect(block(doc, 'resource', 'azurerm_role_assignment', 'app_storage')).toMatchObject({
      for_each: expect.stringMatching(
        /Storage Blob Data Owner.*Storage Queue Data Contributor.*Storage Table Data Contributor/s,
      ),
      scope: ref('azurerm_storage_account.fencer.id'),
      principal_id: ref('azurerm_user_assigned_identity.app.principal_id'),
    });
    const flex = block(doc, 'resource', 'azurerm_function_app_flex_consumption', 'fencer');
    expect(flex).toMatchObject({
      storage_authentication_type: 'UserAssignedIdentity',
      storage_user_assigned_identity_id: ref('azurerm_user_assigned_identity.app.id'),
    });
    // No key of the account appears anywhere.
    const text = files.map((f) => readFileSync(join(terraformDir, f), 'utf8')).join('\n');
    expect(text).not.toMatch(
      /primary_access_key|primary_connection_string|storage_account_access_key/,
    );
  });

  it('keeps the keys in an RBAC Key Vault, referenced from the app settings', () => {
    expect(block(doc, 'resource', 'azurerm_key_vault', 'fencer').rbac_authorization_enabled).toBe(
      true,
    );
    const references = list(doc.locals).find((l) => l.key_vault_references)?.key_vault_references;
    expect(String(references)).toContain(
      `@Microsoft.KeyVault(VaultName=${ref('azurerm_key_vault.fencer.name')};SecretName=${ref('secret')})`,
    );
    // Premium resolves the references with the app identity, Flex with its system identity.
    expect(block(doc, 'resource', 'azurerm_role_assignment', 'app_secrets')).toMatchObject({
      role_definition_name: 'Key Vault Secrets User',
      principal_id: ref('azurerm_user_assigned_identity.app.principal_id'),
    });
    expect(block(doc, 'resource', 'azurerm_linux_function_app', 'fencer')).toMatchObject({
      key_vault_reference_identity_id: ref('azurerm_user_assigned_identity.app.id'),
    });
    expect(block(doc, 'resource', 'azurerm_role_assignment', 'flex_secrets')).toMatchObject({
      role_definition_name: 'Key Vault Secrets User',
      principal_id: ref('azurerm_function_app_flex_consumption.fencer[0].identity[0].principal_id'),
    });
    expect(
      single(block(doc, 'resource', 'azurerm_function_app_flex_consumption', 'fencer').identity)
        .type,
    ).toBe('SystemAssigned, UserAssigned');
  });
});
