import type Database from 'better-sqlite3';
import type { DocumentTable, RowRange, StoredDocument } from '../ledger.ts';
import type { GroupCommit } from './groupCommit.ts';

interface Row {
  rk: string;
  doc: string;
  version: number;
}

const etagOf = (version: number) => `"${version}"`;
const expiryOf = (doc: Record<string, unknown>) =>
  typeof doc.expiresAt === 'number' ? Math.floor(doc.expiresAt) : null;

/**
 * `DocumentTable` on one SQLite table: the document as JSON, a version column as the ETag
 * (from a counter no row ever reuses), conditional writes as `WHERE version = ?`. Methods are
 * synchronous underneath (better-sqlite3); writes join the group commit.
 */
export class SqliteDocuments implements DocumentTable {
  private readonly sql;

  constructor(
    private readonly commit: GroupCommit,
    table: 'ledger' | 'replay',
  ) {
    const db: Database.Database = commit.db;
    this.sql = {
      get: db.prepare<[string, string], Row>(
        `SELECT rk, doc, version FROM ${table} WHERE pk = ? AND rk = ?`,
      ),
      create: db.prepare(
        `INSERT INTO ${table} (pk, rk, doc, version, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      replace: db.prepare(
        `UPDATE ${table} SET doc = ?, version = ?, expires_at = ? WHERE pk = ? AND rk = ? AND version = ?`,
      ),
      upsert: db.prepare(
        `INSERT INTO ${table} (pk, rk, doc, version, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pk, rk) DO UPDATE SET doc = excluded.doc, version = excluded.version,
         expires_at = excluded.expires_at`,
      ),
      list: db.prepare<[string, string, string, number], Row>(
        `SELECT rk, doc, version FROM ${table} WHERE pk = ? AND rk >= ? AND rk < ? ORDER BY rk LIMIT ?`,
      ),
      deleteExpired: db.prepare(
        `DELETE FROM ${table} WHERE pk = ? AND expires_at IS NOT NULL AND expires_at < ?`,
      ),
      delete: db.prepare(`DELETE FROM ${table} WHERE pk = ? AND rk = ?`),
    };
  }

  async get(partition: string, row: string): Promise<StoredDocument | undefined> {
    const found = this.sql.get.get(partition, row);
    return found ? toStored(found) : undefined;
  }

  async create(partition: string, row: string, doc: Record<string, unknown>) {
    return this.commit.write(() => {
      const version = this.commit.version();
      const { changes } = this.sql.create.run(
        partition,
        row,
        JSON.stringify(doc),
        version,
        expiryOf(doc),
      );
      return changes === 1 ? etagOf(version) : false;
    });
  }

  async replace(partition: string, row: string, doc: Record<string, unknown>, etag: string) {
    const expected = Number(etag.replaceAll('"', ''));
    if (!Number.isSafeInteger(expected)) return false;
    return this.commit.write(() => {
      const version = this.commit.version();
      const { changes } = this.sql.replace.run(
        JSON.stringify(doc),
        version,
        expiryOf(doc),
        partition,
        row,
        expected,
      );
      return changes === 1 ? etagOf(version) : false;
    });
  }

  async upsert(partition: string, row: string, doc: Record<string, unknown>): Promise<void> {
    this.commit.write(() =>
      this.sql.upsert.run(
        partition,
        row,
        JSON.stringify(doc),
        this.commit.version(),
        expiryOf(doc),
      ),
    );
  }

  async list(partition: string, range: RowRange, limit: number): Promise<StoredDocument[]> {
    return this.sql.list.all(partition, range.from ?? '', range.below, limit).map(toStored);
  }

  async deleteExpired(partition: string, nowMs: number): Promise<number> {
    return this.commit.write(
      () => this.sql.deleteExpired.run(partition, Math.floor(nowMs)).changes,
    );
  }

  async delete(partition: string, row: string): Promise<void> {
    this.commit.write(() => this.sql.delete.run(partition, row));
  }
}

function toStored(row: Row): StoredDocument {
  return {
    row: row.rk,
    doc: JSON.parse(row.doc) as Record<string, unknown>,
    etag: etagOf(row.version),
  };
}
