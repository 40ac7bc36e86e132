import { join } from 'node:path';
import type { InvocationContext } from '@azure/functions';
import { version } from '../cli/version.ts';
import { loadConfigFile } from '../core/config/load.ts';
import {
  clientsFromConnectionString,
  ensureStorage,
  storageNames,
} from '../core/ledger/storage.ts';
import type { Log } from '../core/log.ts';
import { createRuntime, type Runtime } from '../core/runtime.ts';

/**
 * Composition root of the Functions app: reads the app settings once per instance.
 * - `FENCER_CONFIG`: path of fencer.yaml (default: `fencer.yaml` next to host.json);
 * - `AzureWebJobsStorage`: the storage connection string (Azurite locally);
 * - `FENCER_STORAGE_PREFIX`: table/queue name prefix (default `fencer`; the queue triggers
 *   listen on `fencer-fence` and `fencer-fence-poison`).
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
  const loaded = loadConfigFile(env.FENCER_CONFIG ?? join(process.cwd(), 'fencer.yaml'), { env });
  const connection = env.AzureWebJobsStorage;
  if (!connection) throw new Error('AzureWebJobsStorage is not set');
  const storage = clientsFromConnectionString(connection, storageNames(env.FENCER_STORAGE_PREFIX));
  await ensureStorage(storage);
  return createRuntime({ loaded, storage, log: consoleLog, version });
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
