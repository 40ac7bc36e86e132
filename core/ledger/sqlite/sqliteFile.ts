import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const databaseFileName = 'fencer.db';

/**
 * Opens (creating) `DIR/fencer.db`, or an in-memory database without a dir. The directory is
 * 0700 and the file 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
 * database file's mode. Returns what it had to tighten, for the host to log.
 */
export function openDatabaseFile(dataDir: string | undefined): {
  db: Database.Database;
  path: string;
  tightened: string[];
} {
  if (!dataDir) return { db: configure(new Database(':memory:')), path: ':memory:', tightened: [] };
  const tightened: string[] = [];
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (statSync(dataDir).mode & 0o077) {
    chmodSync(dataDir, 0o700);
    tightened.push(dataDir);
  }
  const path = join(dataDir, databaseFileName);
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const mode = statSync(file, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && mode & 0o077) {
      chmodSync(file, 0o600);
      tightened.push(file);
    }
  }
  return { db: configure(new Database(path)), path, tightened };
}

/**
 * WAL with `synchronous=FULL`: a commit returns once the WAL is on disk, so a power loss after
 * it keeps it. A busy lock (another process on the same file, e.g. `fencer backup`) is
 * waited for, briefly; the event loop is blocked meanwhile, so not for long.
 */
function configure(db: Database.Database): Database.Database {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 2000');
  db.pragma('temp_store = MEMORY');
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
    INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', 1), ('version', 0);
    CREATE TABLE IF NOT EXISTS ledger (
      pk TEXT NOT NULL, rk TEXT NOT NULL, doc TEXT NOT NULL, version INTEGER NOT NULL,
      expires_at INTEGER, PRIMARY KEY (pk, rk)) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS replay (
      pk TEXT NOT NULL, rk TEXT NOT NULL, doc TEXT NOT NULL, version INTEGER NOT NULL,
      expires_at INTEGER, PRIMARY KEY (pk, rk)) STRICT, WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS replay_expiry ON replay (pk, expires_at);
    CREATE TABLE IF NOT EXISTS fence_queue (
      id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, visible_at INTEGER NOT NULL,
      dequeue_count INTEGER NOT NULL DEFAULT 0, receipt TEXT) STRICT;
    CREATE INDEX IF NOT EXISTS fence_queue_visible ON fence_queue (visible_at, id);
  `);
  return db;
}
