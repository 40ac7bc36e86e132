import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { databaseFileName } from '../core/ledger/sqlite/sqliteFile.ts';
import { UsageError } from './usageError.ts';

/**
 * `fencer backup FILE`: SQLite's online backup of `DIR/fencer.db` into FILE, consistent even
 * while `fencer serve` writes (a write meanwhile restarts the copy). The source is opened
 * read-only, so running this as another user never leaves files serve could not open.
 */
export async function backupLedger(dataDir: string, file: string): Promise<{ pages: number }> {
  const source = join(dataDir, databaseFileName);
  if (!existsSync(source)) throw new UsageError(`no ledger at ${source}`);
  if (existsSync(file)) throw new UsageError(`${file} exists; the backup writes a new file`);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  // The copy holds the whole history: readable by its owner only.
  const previous = process.umask(0o077);
  try {
    const { totalPages } = await db.backup(file);
    return { pages: totalPages };
  } finally {
    process.umask(previous);
    db.close();
  }
}
