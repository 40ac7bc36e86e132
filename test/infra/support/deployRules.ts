import { type Shape, shapes } from './bicepModelCheck.ts';
import { type Node, property } from './bicepSyntax.ts';
import type { DeploySources } from './deploySources.ts';
import { isObject, list, resources, settingsOf } from './hcl.ts';
import { providerSchema } from './terraformSchema.ts';

/**
 * What Azure, ARM or Terraform reject (or quietly get wrong) that no schema says: each rule
 * names the row of issue 13 it comes from and returns its problems (none = the rule holds).
 */
export interface Rule {
  readonly id: string;
  readonly row: string;
  check(src: DeploySources): string[];
}

function bicepResource(src: DeploySources, file: string, type: string) {
  return src.bicep
    .get(file)
    ?.find((d) => d.keyword === 'resource' && d.target?.startsWith(`${type}@`));
}

function bicepVars(src: DeploySources, file: string): Map<string, Node | undefined> {
  return new Map(
    (src.bicep.get(file) ?? []).filter((d) => d.keyword === 'var').map((d) => [d.name, d.value]),
  );
}

function keysDeep(shape: Shape): string[] {
  if (shape.kind === 'object') {
    return shape.entries.flatMap(([k, alts]) => [k ?? '', ...alts.flatMap(keysDeep)]);
  }
  return shape.kind === 'array' ? shape.items.flatMap(keysDeep) : [];
}

/** Comment-free Bicep text of one file. */
function bicepCode(src: DeploySources, file: string): string {
  return (src.bicepText.get(file) ?? '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

const roleActions = (src: DeploySources) => ({
  terraform: resources(src.terraform, 'azurerm_role_definition').flatMap(([, r]) =>
    list(r.permissions).flatMap((p) => (Array.isArray(p.actions) ? p.actions.map(String) : [])),
  ),
  bicep: (() => {
    const actions = bicepVars(src, 'modules/fencingRole.bicep').get('actions');
    return actions?.kind === 'array'
      ? actions.items.map((i) => (i.kind === 'string' ? String(i.text) : '?'))
      : [];
  })(),
});

export const rules: Rule[] = [
  {
    id: 'linux-function-app-storage',
    row: 'function.tf:94-107 (azurerm_linux_function_app storage)',
    check: (src) =>
      resources(src.terraform, 'azurerm_linux_function_app').flatMap(([name, app]) => {
        const problems: string[] = [];
        // linux_function_app_resource.go: ExactlyOneOf storage_account_name, storage_key_vault_secret_id.
        const given = ['storage_account_name', 'storage_key_vault_secret_id'].filter(
          (k) => k in app,
        );
        if (given.length !== 1)
          problems.push(
            `${name}: exactly one of storage_account_name / storage_key_vault_secret_id, got ${given.length}`,
          );
        if (app.storage_uses_managed_identity !== true || 'storage_account_access_key' in app) {
          problems.push(
            `${name}: storage_uses_managed_identity = true and no access key (an empty key is written otherwise)`,
          );
        }
        if (settingsOf(src.terraform, app.app_settings).has('AzureWebJobsStorage__accountName')) {
          problems.push(
            `${name}: AzureWebJobsStorage__accountName in app_settings (the provider sets it: a permanent diff)`,
          );
        }
        return problems;
      }),
  },
  {
    id: 'flex-keyless-storage-string',
    row: 'function.tf:53-56 + functions/settings.ts (AccountKey= connection string)',
    check: (src) =>
      resources(src.terraform, 'azurerm_function_app_flex_consumption').flatMap(([name, app]) => {
        if (app.storage_authentication_type === 'StorageAccountConnectionString') {
          return [`${name}: key-based deployment storage`];
        }
        const value = settingsOf(src.terraform, app.app_settings).get('AzureWebJobsStorage');
        return value === ''
          ? []
          : [
              `${name}: app_settings must set AzureWebJobsStorage = "" (provider #29693 writes AccountKey=;)`,
            ];
      }),
  },
  {
    id: 'no-ftps-state-on-flex',
    row: 'bicep/modules/functionApp.bicep:72 (ftpsState on Flex)',
    check: (src) => {
      const site = bicepResource(src, 'modules/functionApp.bicep', 'Microsoft.Web/sites');
      if (!site) return ['no Microsoft.Web/sites in functionApp.bicep'];
      let body = site.value;
      while (body?.kind === 'if' || body?.kind === 'for') body = body.body;
      const siteConfig = property(property(body, 'properties'), 'siteConfig');
      const vars = bicepVars(src, 'modules/functionApp.bicep');
      const flex = shapes(siteConfig, vars, new Set(), new Map([['isFlex', true]]));
      return flex.flatMap(keysDeep).includes('ftpsState')
        ? ['the Flex siteConfig sets ftpsState']
        : [];
    },
  },
  {
    id: 'provider-minimums-are-the-checked-schemas',
    row: 'terraform/versions.tf:11 (azurerm >= 4.42 too low)',
    check: (src) =>
      (
        [
          ['azurerm', src.terraform],
          ['aws', src.terraformAws],
        ] as const
      ).flatMap(([name, doc]) => {
        const pinned = list(isObject(doc) ? doc.terraform : undefined)
          .flatMap((t) => list(t.required_providers))
          .map((p) => p[name])
          .find(isObject)?.version;
        const minimum = /^>=\s*([\d.]+)/.exec(String(pinned))?.[1] ?? '';
        const checked = providerSchema(name).version;
        const same = `${minimum}.0.0`.split('.').slice(0, 3).join('.') === checked;
        return same
          ? []
          : [
              `${name} minimum ${pinned ?? '(none)'} is not the release whose schema test/infra checks (${checked})`,
            ];
      }),
  },
  {
    id: 'aws-provider-only-in-its-own-root',
    row: 'versions.tf:28-33 (AWS provider needs credentials when disabled)',
    check: (src) => {
      const problems: string[] = [];
      const provider = isObject(src.terraform.provider) ? src.terraform.provider : {};
      if ('aws' in provider) problems.push('the Azure root module configures the aws provider');
      const types = [src.terraform.resource, src.terraform.data].flatMap((k) =>
        isObject(k) ? Object.keys(k) : [],
      );
      if (types.some((t) => t.startsWith('aws_')))
        problems.push('the Azure root module has aws_* blocks');
      if (!src.terraformAws || !resources(src.terraformAws, 'aws_iam_role').length) {
        problems.push('no AWS root module (infra/terraform/aws) with the role');
      }
      return problems;
    },
  },
  {
    id: 'role-created-at-first-assignable-scope',
    row: 'bicep main.bicep:140 / fencing.tf:17-18 (role scope, unique name)',
    check: (src) => {
      const problems: string[] = [];
      for (const [name, role] of resources(src.terraform, 'azurerm_role_definition')) {
        const scopes = /^\$\{(local\.\w+)\}$/.exec(String(role.assignable_scopes))?.[1];
        if (!scopes || role.scope !== `\${${scopes}[0]}`)
          problems.push(`terraform ${name}: scope is not assignable_scopes[0]`);
        if (!/\$\{(local\.suffix|var\.subscription_id)\}/.test(String(role.name)))
          problems.push(`terraform ${name}: name has nothing unique to the deployment`);
      }
      const main = bicepCode(src, 'main.bicep');
      const module = /^module fencingRole '[^']+' = \{([\s\S]*?)^\}/m.exec(main)?.[1] ?? '';
      const first =
        /^var (\w+) = fenceResourceGroups\[0\]$/m.exec(main)?.[1] ?? 'fenceResourceGroups\\[0\\]';
      if (
        !new RegExp(
          `scope: resourceGroup\\(${first}\\.\\?subscriptionId \\?\\? subscription\\(\\)\\.subscriptionId, ${first}\\.resourceGroup\\)`,
        ).test(module)
      ) {
        problems.push('bicep: the fencing role module is not deployed at the first fence scope');
      }
      if (!/roleName: '[^']*\$\{(suffix|subscription\(\)\.subscriptionId)\}/.test(module))
        problems.push('bicep: the role name has nothing unique to the deployment');
      if (!/^targetScope = 'resourceGroup'$/m.test(bicepCode(src, 'modules/fencingRole.bicep')))
        problems.push('bicep: fencingRole.bicep is not a resource-group module');
      return problems;
    },
  },
  {
    id: 'flex-maximum-instance-count-from-40',
    row: 'main.bicep:35-38, variables.tf:69-77 (maximumInstanceCount minimum 40)',
    check: (src) => {
      const problems: string[] = [];
      if (
        !/@minValue\(40\)\s+@maxValue\(1000\)\s+param maximumInstanceCount int/.test(
          bicepCode(src, 'main.bicep'),
        )
      ) {
        problems.push('bicep: maximumInstanceCount is not limited to 40-1000');
      }
      const variable = list(
        isObject(src.terraform.variable)
          ? src.terraform.variable.maximum_instance_count
          : undefined,
      )[0];
      const conditions = list(variable?.validation).map((v) => String(v.condition));
      if (
        !conditions.some((c) =>
          /var\.maximum_instance_count >= 40 && var\.maximum_instance_count <= 1000/.test(c),
        )
      ) {
        problems.push('terraform: maximum_instance_count is not validated to 40-1000');
      }
      return problems;
    },
  },
  {
    id: 'premium-package-update-syncs-triggers',
    row: 'docs/deploy.md:160-167 (no trigger sync after a new package on Premium)',
    check: (src) => {
      const premium =
        /Elastic Premium runs the package[\s\S]*?```sh([\s\S]*?)```/.exec(src.deployDoc)?.[1] ?? '';
      return /syncfunctiontriggers/.test(premium)
        ? []
        : ['the Premium upload does not sync triggers'];
    },
  },
  {
    id: 'fencing-role-least-privilege',
    row: 'fencingRole.bicep:12, fencing.tf:22 (Microsoft.Compute/*/read)',
    check: (src) => {
      const { terraform, bicep } = roleActions(src);
      const expected = [
        'Microsoft.Compute/virtualMachines/read',
        'Microsoft.Compute/virtualMachines/instanceView/read',
        'Microsoft.Compute/virtualMachines/powerOff/action',
        'Microsoft.Compute/virtualMachines/start/action',
      ].sort();
      return [
        ...(JSON.stringify([...terraform].sort()) === JSON.stringify(expected)
          ? []
          : [`terraform actions ${terraform.join(', ')}`]),
        ...(JSON.stringify([...bicep].sort()) === JSON.stringify(expected)
          ? []
          : [`bicep actions ${bicep.join(', ')}`]),
      ];
    },
  },
  {
    id: 'sweeper-not-run-on-startup',
    row: 'functions/sweeper.ts:16 (runOnStartup: true)',
    check: (src) =>
      /runOnStartup:\s*true/.test(src.sweeper)
        ? ['the sweeper timer runs on every start and scale-out']
        : [],
  },
  {
    id: 'fence-identity-app-specific-setting',
    row: 'function.tf:13 / functionApp.bicep:32 (AZURE_CLIENT_ID as the fence identity)',
    check: (src) => {
      const problems: string[] = [];
      if (/^\s*AZURE_CLIENT_ID\s*=/m.test(src.terraformText))
        problems.push('terraform sets AZURE_CLIENT_ID');
      if (
        !/^\s*FENCER_FENCE_CLIENT_ID\s*=\s*azurerm_user_assigned_identity\.fence\.client_id$/m.test(
          src.terraformText,
        )
      )
        problems.push('terraform does not set FENCER_FENCE_CLIENT_ID to the fence identity');
      const app = bicepCode(src, 'modules/functionApp.bicep');
      if (/name: 'AZURE_CLIENT_ID'/.test(app)) problems.push('bicep sets AZURE_CLIENT_ID');
      if (!/\{ name: 'FENCER_FENCE_CLIENT_ID', value: fenceClientId \}/.test(app))
        problems.push('bicep does not set FENCER_FENCE_CLIENT_ID to the fence identity');
      return problems;
    },
  },
  {
    id: 'entra-token-version-is-set-and-checked',
    row: 'aws.tf:10-52 (trust policy assumes v1 tokens)',
    check: (src) => {
      const problems: string[] = [];
      const issuer = list(src.terraformAws?.locals).find(
        (l) => l.entra_issuer !== undefined,
      )?.entra_issuer;
      if (!/^https:\/\/sts\.windows\.net\//.test(String(issuer)))
        problems.push('the AWS module does not trust the v1 issuer');
      if (!/az ad app update[^\n]*--set api\.requestedAccessTokenVersion=1/.test(src.deployDoc))
        problems.push('the docs do not set the app to v1 tokens');
      if (!/az ad app show[^\n]*--query api\.requestedAccessTokenVersion/.test(src.deployDoc))
        problems.push('the pre-flight does not check the token version');
      return problems;
    },
  },
];
