import { createRequire } from 'node:module';
import type { CompositeMapper, Mapper, OperationSpec } from '@azure/core-client';

/**
 * The request models of the ARM resource types infra/bicep deploys, taken from the Azure SDK
 * packages (devDependencies), which are generated from the REST specs of one API version each.
 * For every type the SDK's own PUT operation is called against a client whose
 * `sendOperationRequest` only records the operation spec: its path proves which type it is,
 * its `api-version` query parameter is the version the model belongs to, and its request
 * body mapper (with the serializer's `modelMappers`) is the property tree.
 */
export interface ArmModel {
  readonly type: string;
  readonly apiVersion: string;
  /** `@azure/arm-appservice@16.0.0`. */
  readonly source: string;
  readonly body: CompositeMapper;
  readonly mappers: Readonly<Record<string, unknown>>;
}

type Client = Record<string, Record<string, (...args: unknown[]) => Promise<unknown>> | undefined>;

/** ARM type → the SDK call that PUTs it. */
const puts: Record<
  string,
  { pkg: string; client: string; call: [group: string, method: string, args: unknown[]] }
> = {
  'Microsoft.Resources/resourceGroups': {
    pkg: '@azure/arm-resources',
    client: 'ResourceManagementClient',
    call: ['resourceGroups', 'createOrUpdate', ['rg', {}]],
  },
  'Microsoft.ManagedIdentity/userAssignedIdentities': {
    pkg: '@azure/arm-msi',
    client: 'ManagedServiceIdentityClient',
    call: ['userAssignedIdentities', 'createOrUpdate', ['rg', 'n', {}]],
  },
  'Microsoft.OperationalInsights/workspaces': {
    pkg: '@azure/arm-operationalinsights',
    client: 'OperationalInsightsManagementClient',
    call: ['workspaces', 'beginCreateOrUpdate', ['rg', 'n', {}]],
  },
  'Microsoft.Insights/components': {
    pkg: '@azure/arm-appinsights',
    client: 'ApplicationInsightsManagementClient',
    call: ['components', 'createOrUpdate', ['rg', 'n', {}]],
  },
  'Microsoft.Insights/actionGroups': {
    pkg: '@azure/arm-monitor',
    client: 'MonitorClient',
    call: ['actionGroups', 'createOrUpdate', ['rg', 'n', {}]],
  },
  'Microsoft.Insights/scheduledQueryRules': {
    pkg: '@azure/arm-monitor',
    client: 'MonitorClient',
    call: ['scheduledQueryRules', 'createOrUpdate', ['rg', 'n', {}]],
  },
  'Microsoft.Storage/storageAccounts': {
    pkg: '@azure/arm-storage',
    client: 'StorageManagementClient',
    call: ['storageAccounts', 'beginCreate', ['rg', 'n', {}]],
  },
  'Microsoft.Storage/storageAccounts/blobServices': {
    pkg: '@azure/arm-storage',
    client: 'StorageManagementClient',
    call: ['blobServices', 'setServiceProperties', ['rg', 'n', {}]],
  },
  'Microsoft.Storage/storageAccounts/blobServices/containers': {
    pkg: '@azure/arm-storage',
    client: 'StorageManagementClient',
    call: ['blobContainers', 'create', ['rg', 'n', 'c', {}]],
  },
  'Microsoft.Storage/storageAccounts/tableServices': {
    pkg: '@azure/arm-storage',
    client: 'StorageManagementClient',
    call: ['tableServices', 'setServiceProperties', ['rg', 'n', {}]],
  },
  'Microsoft.Storage/storageAccounts/tableServices/tables': {
    pkg: '@azure/arm-storage',
    client: 'StorageManagementClient',
    call: ['tableOperations', 'create', ['rg', 'n', 't', {}]],
  },
  'Microsoft.Storage/storageAccounts/queueServices': {
    pkg: '@azure/arm-storage',
    client: 'StorageManagementClient',
    call: ['queueServices', 'setServiceProperties', ['rg', 'n', {}]],
  },
  'Microsoft.Storage/storageAccounts/queueServices/queues': {
    pkg: '@azure/arm-storage',
    client: 'StorageManagementClient',
    call: ['queue', 'create', ['rg', 'n', 'q', {}]],
  },
  'Microsoft.KeyVault/vaults': {
    pkg: '@azure/arm-keyvault',
    client: 'KeyVaultManagementClient',
    call: ['vaults', 'beginCreateOrUpdate', ['rg', 'n', {}]],
  },
  'Microsoft.Web/serverfarms': {
    pkg: '@azure/arm-appservice',
    client: 'WebSiteManagementClient',
    call: ['appServicePlans', 'beginCreateOrUpdate', ['rg', 'n', {}]],
  },
  'Microsoft.Web/sites': {
    pkg: '@azure/arm-appservice',
    client: 'WebSiteManagementClient',
    call: ['webApps', 'beginCreateOrUpdate', ['rg', 'n', {}]],
  },
  // Both policies (`ftp`, `scm`) share one model; the SDK names the ftp one.
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies': {
    pkg: '@azure/arm-appservice',
    client: 'WebSiteManagementClient',
    call: ['webApps', 'updateFtpAllowed', ['rg', 'n', {}]],
  },
  'Microsoft.Authorization/roleAssignments': {
    pkg: '@azure/arm-authorization',
    client: 'AuthorizationManagementClient',
    call: ['roleAssignments', 'create', ['/subscriptions/s', 'n', {}]],
  },
  'Microsoft.Authorization/roleDefinitions': {
    pkg: '@azure/arm-authorization',
    client: 'AuthorizationManagementClient',
    call: ['roleDefinitions', 'createOrUpdate', ['/subscriptions/s', 'n', {}]],
  },
};

const require = createRequire(import.meta.url);
const models = new Map<string, Promise<ArmModel>>();
const captured = new Error('operation spec captured');

/** The model of one ARM type, or undefined when no SDK here carries it. Cached per run. */
export function armModel(type: string): Promise<ArmModel> | undefined {
  const entry = Object.hasOwn(puts, type) ? puts[type] : undefined;
  if (!entry) return undefined;
  let model = models.get(type);
  if (!model) {
    model = capture(type, entry);
    models.set(type, model);
  }
  return model;
}

async function capture(type: string, entry: (typeof puts)[string]): Promise<ArmModel> {
  const sdk = require(entry.pkg) as Record<string, new (...args: unknown[]) => Client>;
  const version = (require(`${entry.pkg}/package.json`) as { version: string }).version;
  const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: 0 }) };
  const Constructor = sdk[entry.client];
  if (!Constructor) throw new Error(`${entry.pkg} has no ${entry.client}`);
  const client = new Constructor(credential, '00000000-0000-0000-0000-000000000000');
  let spec: OperationSpec | undefined;
  (client as unknown as { sendOperationRequest: unknown }).sendOperationRequest = async (
    _args: unknown,
    operation: OperationSpec,
  ) => {
    spec = operation;
    throw captured;
  };
  const [group, method, args] = entry.call;
  const put = client[group]?.[method];
  if (!put) throw new Error(`${entry.pkg}: no ${group}.${method}`);
  await put.apply(client[group], args).catch((err: unknown) => {
    if (err !== captured) throw err;
  });
  if (!spec) throw new Error(`${entry.pkg}: the ${type} call sent nothing`);
  const pathTypes = typesOfPath(spec.path ?? '');
  if (spec.httpMethod !== 'PUT' || pathTypes.toLowerCase() !== type.toLowerCase()) {
    throw new Error(`${entry.pkg}: the ${type} call is ${spec.httpMethod} ${spec.path}`);
  }
  const apiVersion = spec.queryParameters?.find((p) => p.mapper.serializedName === 'api-version')
    ?.mapper.defaultValue as string | undefined;
  const body = spec.requestBody?.mapper as CompositeMapper | undefined;
  if (!apiVersion || body?.type.name !== 'Composite') {
    throw new Error(`${entry.pkg}: the ${type} PUT has no api-version or no body model`);
  }
  return {
    type,
    apiVersion,
    source: `${entry.pkg}@${version}`,
    body,
    mappers: (spec.serializer as unknown as { modelMappers: Record<string, unknown> }).modelMappers,
  };
}

/** `/…/providers/Microsoft.Storage/storageAccounts/{a}/queueServices/default/queues/{q}` → the type. */
function typesOfPath(path: string): string {
  if (!path.includes('/providers/')) {
    return /^\/subscriptions\/\{\w+\}\/resourcegroups\/\{\w+\}$/i.test(path)
      ? 'Microsoft.Resources/resourceGroups'
      : path;
  }
  const segments = path.slice(path.lastIndexOf('/providers/') + '/providers/'.length).split('/');
  return [segments[0], ...segments.slice(1).filter((_, i) => i % 2 === 0)].join('/');
}

/** The composite mapper a property refers to by class name, resolved (with its parents). */
export function composite(mapper: Mapper, mappers: ArmModel['mappers']): CompositeMapper {
  const className = (mapper as CompositeMapper).type.className;
  const named = className ? (mappers[className] as CompositeMapper | undefined) : undefined;
  return named?.type.modelProperties ? named : (mapper as CompositeMapper);
}
