import { type TableClient, TableClient as TableClientClass } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { QueueClient } from '@azure/storage-queue';
import { isConflict } from './table/tableErrors.ts';

/**
 * Where the ledger and the fence queue live. One storage account; names share a prefix so
 * several deployments (or test suites) can use one account without meeting.
 */
export interface StorageNames {
  ledgerTable: string;
  replayTable: string;
  fenceQueue: string;
}

export function storageNames(prefix = 'fencer'): StorageNames {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!/^[a-z][a-z0-9]{0,40}$/.test(clean))
    throw new Error(`storage prefix "${prefix}" must start with a letter`);
  return {
    ledgerTable: `${clean}ledger`,
    replayTable: `${clean}replay`,
    fenceQueue: `${clean}-fence`,
  };
}

export interface StorageClients {
  ledger: TableClient;
  replay: TableClient;
  queue: QueueClient;
  /** Where messages go after too many failed deliveries (the Functions host's `-poison` convention). */
  poison: QueueClient;
  names: StorageNames;
}

/** Clients from a connection string (`AzureWebJobsStorage`: Azure Storage, or an Azurite). */
export function clientsFromConnectionString(
  connectionString: string,
  names: StorageNames,
): StorageClients {
  // Azurite speaks plain http on loopback; Azure endpoints are https and unaffected.
  const options = {
    allowInsecureConnection: /UseDevelopmentStorage|127\.0\.0\.1|localhost/.test(connectionString),
  };
  return {
    ledger: TableClientClass.fromConnectionString(connectionString, names.ledgerTable, options),
    replay: TableClientClass.fromConnectionString(connectionString, names.replayTable, options),
    queue: new QueueClient(connectionString, names.fenceQueue),
    poison: new QueueClient(connectionString, `${names.fenceQueue}-poison`),
    names,
  };
}

/** Service endpoints of one storage account, e.g. `https://NAME.table.core.windows.net`. */
export interface StorageEndpoints {
  tableServiceUri: string;
  queueServiceUri: string;
}

/**
 * Clients that authenticate with an Entra token (a managed identity in Azure), for accounts
 * with shared-key access off. The identity needs Storage Table Data Contributor and Storage
 * Queue Data Contributor on the account (table and queue creation included).
 */
export function clientsFromIdentity(
  endpoints: StorageEndpoints,
  credential: TokenCredential,
  names: StorageNames,
): StorageClients {
  const table = endpoints.tableServiceUri.replace(/\/+$/, '');
  const queue = endpoints.queueServiceUri.replace(/\/+$/, '');
  return {
    ledger: new TableClientClass(table, names.ledgerTable, credential),
    replay: new TableClientClass(table, names.replayTable, credential),
    queue: new QueueClient(`${queue}/${names.fenceQueue}`, credential),
    poison: new QueueClient(`${queue}/${names.fenceQueue}-poison`, credential),
    names,
  };
}

/** Which Entra credential reaches storage (the `AzureWebJobsStorage__credential` forms). */
export type StorageCredentialSpec =
  | { kind: 'managed-identity'; clientId?: string }
  | { kind: 'default' };

/**
 * Builds the storage credential. @azure/identity is imported here, on first use, so an app on
 * a connection string (Azurite, the local host) never loads it at start.
 */
export async function storageCredential(spec: StorageCredentialSpec): Promise<TokenCredential> {
  const { DefaultAzureCredential, ManagedIdentityCredential } = await import('@azure/identity');
  if (spec.kind === 'default') return new DefaultAzureCredential();
  return spec.clientId
    ? new ManagedIdentityCredential({ clientId: spec.clientId })
    : new ManagedIdentityCredential();
}

/** Creates the tables and queues if missing (idempotent; run at start). */
export async function ensureStorage(clients: StorageClients): Promise<void> {
  const ignoreExists = (err: unknown) => {
    if (!isConflict(err)) throw err;
  };
  await Promise.all([
    clients.ledger.createTable().catch(ignoreExists),
    clients.replay.createTable().catch(ignoreExists),
    clients.queue.createIfNotExists(),
    clients.poison.createIfNotExists(),
  ]);
}
