import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { openSqliteLedger, type SqliteLedger } from '../../core/ledger/sqlite/sqliteLedger.ts';
import {
  clientsFromConnectionString,
  ensureStorage,
  type StorageClients,
  storageNames,
} from '../../core/ledger/storage.ts';
import type { TableDocuments } from '../../core/ledger/table/tableDocuments.ts';
import { tableLedger } from '../../core/ledger/table/tableLedger.ts';
import { uniquePrefix } from './testCluster.ts';

export type LedgerKind = 'sqlite' | 'table';

/** Both implementations, for suites written once and run on each (`describe.each`). */
export const ledgerKinds: LedgerKind[] = ['sqlite', 'table'];

export type TestLedger =
  | (SqliteLedger & { kind: 'sqlite' })
  | (ReturnType<typeof tableLedger> & { kind: 'table'; storage: StorageClients });

/**
 * A fresh ledger: SQLite in a file of a new temp dir (WAL and all), or Table Storage on the
 * project's Azurite (globalSetup) under a storage prefix of its own.
 */
export async function openTestLedger(
  kind: LedgerKind,
  name: string,
  options: {
    now?: () => number;
    onEnqueue?: (delayMs: number) => void;
    /** Table Storage: create the ledger table only (no queues), for suites that open many. */
    tablesOnly?: boolean;
  } = {},
): Promise<TestLedger> {
  const now = options.now ?? (() => Date.now());
  const onEnqueue = options.onEnqueue ? { onEnqueue: options.onEnqueue } : {};
  if (kind === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), `fencer-${name}-`));
    return openSqliteLedger({ dataDir, now, ...onEnqueue }) as TestLedger;
  }
  const storage = clientsFromConnectionString(inject('azurite'), storageNames(uniquePrefix(name)));
  if (options.tablesOnly) await storage.ledger.createTable();
  else await ensureStorage(storage);
  return Object.assign(tableLedger(storage, { now, ...onEnqueue }), { storage }) as TestLedger;
}

/** The rows beneath the ledger, for tests that break it on purpose. */
export function documentsOf(ledger: TestLedger): SqliteLedger['documents'] | TableDocuments {
  return ledger.documents;
}
