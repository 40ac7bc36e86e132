import type { Ledger } from '../core/ledger/ledger.ts';
import type { Log } from '../core/log.ts';

/** Where the local host keeps its ledger. */
export type LedgerChoice =
  | { kind: 'sqlite' }
  /** `AzureWebJobsStorage`: Azure Storage, or an Azurite the user runs. */
  | { kind: 'table'; connectionString: string; storagePrefix?: string };

export interface OpenOptions {
  dataDir?: string;
  now: () => number;
  onEnqueue?: (delayMs: number) => void;
  log: Log;
}

/**
 * Opens the chosen ledger. Each implementation is imported only when chosen: a host on SQLite
 * never loads the Azure SDKs, and the Functions bundle (functions/deps.ts) never this file.
 */
export async function openLedger(choice: LedgerChoice, options: OpenOptions): Promise<Ledger> {
  if (choice.kind === 'table') {
    const [{ clientsFromConnectionString, ensureStorage, storageNames }, { tableLedger }] =
      await Promise.all([
        import('../core/ledger/storage.ts'),
        import('../core/ledger/table/tableLedger.ts'),
      ]);
    const storage = clientsFromConnectionString(
      choice.connectionString,
      storageNames(choice.storagePrefix),
    );
    await ensureStorage(storage);
    return tableLedger(storage, {
      now: options.now,
      ...(options.onEnqueue ? { onEnqueue: options.onEnqueue } : {}),
    });
  }
  const { openSqliteLedger } = await import('../core/ledger/sqlite/sqliteLedger.ts');
  const ledger = openSqliteLedger({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    now: options.now,
    ...(options.onEnqueue ? { onEnqueue: options.onEnqueue } : {}),
  });
  for (const path of ledger.tightened)
    options.log.warn({ path }, 'the ledger path was readable by others; permissions tightened');
  options.log.info({ ledger: ledger.path }, 'SQLite ledger open');
  return ledger;
}
