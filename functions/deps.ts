import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InvocationContext } from '@azure/functions';
import { version } from '../cli/version.ts';
import { type LoadedConfig, loadConfigFile } from '../core/config/load.ts';
import {
  clientsFromConnectionString,
  clientsFromIdentity,
  ensureStorage,
  type StorageClients,
  type StorageNames,
  storageCredential,
  storageNames,
} from '../core/ledger/storage.ts';
import { tableLedger } from '../core/ledger/table/tableLedger.ts';
import type { Log } from '../core/log.ts';
import { createRuntime, type Runtime } from '../core/runtime.ts';
import { readSetting, storageConnection, unresolvedKeyVaultReferences } from './settings.ts';

/**
 * Composition root of the Functions app: reads the app settings once per instance. Every
 * setting it reads is listed, with its meaning, in `appSettings` (functions/settings.ts).
 */
let runtime: Promise<Runtime> | undefined;

export function getRuntime(env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  runtime ??= build(env).catch((err) => {
    runtime = undefined; // a later invocation retries (e.g. a Key Vault reference not yet resolved)
    throw err;
  });
  return runtime;
}

/** Tests build several apps in one process with different settings. */
export function resetRuntime(): void {
  runtime = undefined;
}

async function build(env: NodeJS.ProcessEnv): Promise<Runtime> {
  const unresolved = unresolvedKeyVaultReferences(env);
  if (unresolved.length > 0) {
    consoleLog.warn({ settings: unresolved }, 'Key Vault references not resolved; ignoring them');
  }
  // A reference's own text must never become a key: the config sees such settings as unset.
  const secrets = { ...env };
  for (const name of unresolved) delete secrets[name];
  const configFile = resolve(appRoot(), readSetting(env, 'FENCER_CONFIG') ?? 'fencer.yaml');
  const loaded = withFenceIdentity(
    loadConfigFile(configFile, { env: secrets }),
    readSetting(env, 'FENCER_FENCE_CLIENT_ID'),
  );
  for (const warning of loaded.warnings) consoleLog.warn({ config: configFile }, warning);
  const storage = await storageClients(
    env,
    storageNames(readSetting(env, 'FENCER_STORAGE_PREFIX')),
  );
  await ensureStorage(storage);
  // The Functions app is on Table Storage only: the SQLite ledger is never bundled here.
  const ledger = tableLedger(storage, { now: () => Date.now() });
  const runtime = createRuntime({ loaded, ledger, log: consoleLog, version });
  // Driver modules and SDKs load now, in the background, not on the first fence.
  void runtime.drivers.warmUp(loaded.config);
  return runtime;
}

/**
 * The deployments give the app two user-assigned identities; the fence identity is named by
 * FENCER_FENCE_CLIENT_ID. Every azure-vm device and aws-ec2 web identity that names no
 * credential of its own uses it (instead of DefaultAzureCredential, which would read
 * AZURE_CLIENT_ID or fall back to a system-assigned identity). A credential in fencer.yaml
 * always wins.
 */
export function withFenceIdentity(
  loaded: LoadedConfig,
  clientId: string | undefined,
): LoadedConfig {
  if (!clientId) return loaded;
  const config = structuredClone(loaded.config);
  for (const cluster of Object.values(config.clusters)) {
    for (const node of Object.values(cluster.nodes)) {
      for (const device of node.levels.flat()) {
        const vm = device['azure-vm'];
        if (vm && !vm.credential) vm.credential = { managedIdentityClientId: clientId };
        const aws = device['aws-ec2']?.credential;
        if (aws && 'webIdentity' in aws) aws.webIdentity.managedIdentityClientId ??= clientId;
      }
    }
  }
  return { ...loaded, config };
}

async function storageClients(
  env: NodeJS.ProcessEnv,
  names: StorageNames,
): Promise<StorageClients> {
  const connection = storageConnection(env);
  if (connection.kind === 'connection-string') {
    return clientsFromConnectionString(connection.connectionString, names);
  }
  return clientsFromIdentity(connection, await storageCredential(connection.credential), names);
}

/**
 * The folder of host.json (the app root): the worker's working directory is not reliably the
 * app's folder (Flex Consumption specializes a placeholder), but this module always sits below
 * it — functions/ in the repo, dist/functions/ in the package.
 */
function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'host.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** The host collects console output into Application Insights; one JSON object per line. */
const consoleLog: Log = {
  info: (fields, message) =>
    console.info(JSON.stringify({ level: 'info', msg: message, ...fields })),
  warn: (fields, message) =>
    console.warn(JSON.stringify({ level: 'warn', msg: message, ...fields })),
  error: (fields, message) =>
    console.error(JSON.stringify({ level: 'error', msg: message, ...fields })),
};

export function invocationLog(context: InvocationContext): Log {
  return {
    info: (fields, message) => context.info(JSON.stringify({ msg: message, ...fields })),
    warn: (fields, message) => context.warn(JSON.stringify({ msg: message, ...fields })),
    error: (fields, message) => context.error(JSON.stringify({ msg: message, ...fields })),
  };
}
