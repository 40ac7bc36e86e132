import { shapes } from './bicepModelCheck.ts';
import { property } from './bicepSyntax.ts';
import { isObject, list, resources } from './hcl.ts';
import {
  bicepCode,
  bicepResource,
  bicepVars,
  keysDeep,
  type Rule,
  roleActions,
} from './ruleSupport.ts';

/** Rules that hold for both deployments, the deploy doc and the Functions app. */
export const sharedRules: Rule[] = [
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
