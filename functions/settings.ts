import { FencerError } from '../core/errors.ts';

/**
 * One app setting the Functions code reads. `deployment` says what infra/bicep and
 * infra/terraform do with it: `set` (both deployments set it), why both leave it unset, or
 * why a deployment may set it only to the empty string (`blank`).
 * test/infra derives its "every setting is deployed" check from this table, so a setting the
 * code starts to read must be added here, and then to both deployments.
 */
export interface AppSetting {
  readonly description: string;
  /** The app refuses to start without it (or without one of its alternatives). */
  readonly required: boolean;
  readonly deployment: 'set' | { readonly unset: string } | { readonly blank: string };
}

/**
 * Every app setting the Functions code reads (besides the `env:NAME` secretRefs a fencer.yaml
 * names, which the deployments take as a map of setting → Key Vault secret).
 * The `AzureWebJobsStorage__*` names are the Functions host's identity-based connection
 * settings: the host uses them for its queue trigger and the code uses the same ones for the
 * ledger, so one identity and one set of role assignments serve both.
 */
export const appSettings = {
  FENCER_CONFIG: {
    description:
      'Path of fencer.yaml; a relative path is resolved against the app root (the folder of host.json). Default: fencer.yaml.',
    required: false,
    deployment: 'set',
  },
  FENCER_STORAGE_PREFIX: {
    description:
      'Table and queue name prefix (default `fencer`). The queue triggers listen on fencer-fence and fencer-fence-poison, so a deployment keeps `fencer`.',
    required: false,
    deployment: 'set',
  },
  AzureWebJobsStorage: {
    description:
      'Storage connection string (Azurite, or shared-key accounts). Takes precedence over the identity-based AzureWebJobsStorage__* settings, as in the Functions host, unless it carries no credential (an empty AccountKey and no SharedAccessSignature), which is ignored.',
    required: false,
    deployment: {
      blank:
        "the deployed storage account has shared-key access off; the app uses AzureWebJobsStorage__* with its managed identity. Terraform's flex resource writes a connection string with an empty AccountKey (provider issues #29693, #29149), so that deployment sets it to the empty string, Microsoft's own workaround",
    },
  },
  AzureWebJobsStorage__accountName: {
    description:
      'Storage account name for an identity-based connection; the table and queue endpoints are https://NAME.table.core.windows.net and https://NAME.queue.core.windows.net.',
    required: false,
    deployment: 'set',
  },
  AzureWebJobsStorage__tableServiceUri: {
    description:
      'Table endpoint for an identity-based connection (sovereign clouds, private endpoints); overrides the one derived from accountName. Needs __queueServiceUri too when accountName is not set.',
    required: false,
    deployment: { unset: 'derived from AzureWebJobsStorage__accountName in public Azure' },
  },
  AzureWebJobsStorage__queueServiceUri: {
    description:
      'Queue endpoint for an identity-based connection; overrides the one derived from accountName.',
    required: false,
    deployment: { unset: 'derived from AzureWebJobsStorage__accountName in public Azure' },
  },
  AzureWebJobsStorage__credential: {
    description:
      '`managedidentity`: use the managed identity (with __clientId: that user-assigned one). Unset: DefaultAzureCredential (a developer login locally).',
    required: false,
    deployment: 'set',
  },
  AzureWebJobsStorage__clientId: {
    description:
      'Client id of the user-assigned identity that reaches storage, when __credential is managedidentity.',
    required: false,
    deployment: 'set',
  },
  FENCER_FENCE_CLIENT_ID: {
    description:
      'Client id of the user-assigned fencing identity: the credential of every azure-vm device and aws-ec2 web identity in fencer.yaml that names none. An app-specific name, not AZURE_CLIENT_ID, which every DefaultAzureCredential of the app and the Functions host would also pick up (storage connections without __clientId among them).',
    required: false,
    deployment: 'set',
  },
} as const satisfies Record<string, AppSetting>;

export type AppSettingName = keyof typeof appSettings;

/** Reads one app setting; an empty value counts as unset (the portal saves empty strings). */
export function readSetting(env: NodeJS.ProcessEnv, name: AppSettingName): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** How the app reaches its storage account. */
export type StorageConnection =
  | { kind: 'connection-string'; connectionString: string }
  | {
      kind: 'identity';
      tableServiceUri: string;
      queueServiceUri: string;
      /** `managed-identity` without clientId: the system-assigned identity. */
      credential: { kind: 'managed-identity'; clientId?: string } | { kind: 'default' };
    };

/**
 * The storage connection from the app settings, with the Functions host's precedence: a
 * connection string wins; otherwise the identity-based `AzureWebJobsStorage__*` settings,
 * where explicit service URIs override the ones derived from the account name.
 */
export function storageConnection(env: NodeJS.ProcessEnv): StorageConnection {
  const connectionString = readSetting(env, 'AzureWebJobsStorage');
  if (connectionString && carriesCredential(connectionString)) {
    return { kind: 'connection-string', connectionString };
  }
  const account = readSetting(env, 'AzureWebJobsStorage__accountName');
  const tableServiceUri =
    readSetting(env, 'AzureWebJobsStorage__tableServiceUri') ??
    (account ? `https://${account}.table.core.windows.net` : undefined);
  const queueServiceUri =
    readSetting(env, 'AzureWebJobsStorage__queueServiceUri') ??
    (account ? `https://${account}.queue.core.windows.net` : undefined);
  if (!tableServiceUri || !queueServiceUri) {
    throw new FencerError(
      'storage-not-configured',
      account === undefined && (tableServiceUri || queueServiceUri)
        ? 'AzureWebJobsStorage__tableServiceUri and __queueServiceUri must both be set (or __accountName)'
        : connectionString
          ? 'AzureWebJobsStorage carries no credential (no AccountKey, SAS or UseDevelopmentStorage) and AzureWebJobsStorage__accountName is not set'
          : 'set AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__accountName (identity-based)',
    );
  }
  const credentialSetting = readSetting(env, 'AzureWebJobsStorage__credential');
  const clientId = readSetting(env, 'AzureWebJobsStorage__clientId');
  if (credentialSetting !== undefined && credentialSetting.toLowerCase() !== 'managedidentity') {
    throw new FencerError(
      'storage-not-configured',
      `AzureWebJobsStorage__credential must be "managedidentity" or unset, not "${credentialSetting}"`,
    );
  }
  return {
    kind: 'identity',
    tableServiceUri: trimSlash(tableServiceUri),
    queueServiceUri: trimSlash(queueServiceUri),
    // The host honours __clientId only together with __credential=managedidentity; so do we.
    credential:
      credentialSetting === undefined
        ? { kind: 'default' }
        : { kind: 'managed-identity', ...(clientId ? { clientId } : {}) },
  };
}

/**
 * Whether a connection string can authenticate at all: Azurite's shortcut, an account key or
 * a SAS. `AccountName=x;AccountKey=;…` (what Terraform's flex resource writes for an identity
 * connection) cannot, and must not shadow the identity-based settings.
 */
function carriesCredential(connectionString: string): boolean {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return (
    parts.get('usedevelopmentstorage')?.toLowerCase() === 'true' ||
    Boolean(parts.get('accountkey')) ||
    Boolean(parts.get('sharedaccesssignature'))
  );
}

function trimSlash(uri: string): string {
  return uri.replace(/\/+$/, '');
}

/** Prefix of an App Service Key Vault reference that the platform has not resolved. */
const keyVaultReference = '@Microsoft.KeyVault(';

/**
 * App settings whose Key Vault reference is unresolved (no access yet, secret missing): the
 * platform then hands the app the reference text itself. Such a value must never be used as a
 * key, so the composition root drops these settings and names them.
 */
export function unresolvedKeyVaultReferences(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([, value]) => value?.trimStart().startsWith(keyVaultReference))
    .map(([name]) => name)
    .sort();
}
