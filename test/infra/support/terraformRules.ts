import { isObject, list, resources, settingsOf } from './hcl.ts';
import type { Rule } from './ruleSupport.ts';
import { providerSchema } from './terraformSchema.ts';

/**
 * Constraints the provider enforces in code, not in its schema (so no binding carries them),
 * read from terraform-provider-azurerm: linux_function_app_resource.go (storage_account_name
 * ExactlyOneOf, storage_account_access_key ConflictsWith) and role_assignment_resource.go.
 */
const exactlyOneOf: [type: string, arguments: string[]][] = [
  ['azurerm_linux_function_app', ['storage_account_name', 'storage_key_vault_secret_id']],
  ['azurerm_role_assignment', ['role_definition_id', 'role_definition_name']],
];
const conflicts: [type: string, argument: string, others: string[]][] = [
  [
    'azurerm_linux_function_app',
    'storage_account_access_key',
    ['storage_uses_managed_identity', 'storage_key_vault_secret_id'],
  ],
];

/** Rules of the Terraform root modules. */
export const terraformRules: Rule[] = [
  {
    id: 'provider-exactly-one-of-and-conflicts',
    row: 'function.tf:94-107 (ExactlyOneOf the schema does not carry)',
    check: (src) => [
      ...exactlyOneOf.flatMap(([type, args]) =>
        resources(src.terraform, type).flatMap(([name, body]) => {
          const given = args.filter((a) => a in body);
          return given.length === 1 ? [] : [`${type}.${name}: exactly one of ${args.join(', ')}`];
        }),
      ),
      ...conflicts.flatMap(([type, arg, others]) =>
        resources(src.terraform, type).flatMap(([name, body]) =>
          arg in body && others.some((o) => o in body)
            ? [`${type}.${name}: ${arg} conflicts with ${others.join(', ')}`]
            : [],
        ),
      ),
    ],
  },
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
];
