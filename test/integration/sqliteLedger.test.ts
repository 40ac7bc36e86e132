import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { emptyClusterState } from '../../core/arbiter/state.ts';
import { newIncidentId } from '../../core/ledger/ids.ts';
import { openSqliteLedger } from '../../core/ledger/sqlite/sqliteLedger.ts';

/** What only the embedded ledger promises: its files, its group commit, its change signal. */
const mode = (path: string) => statSync(path).mode & 0o777;
const now = () => Date.now();
const record = (id: string) => ({
  id,
  target: 'b',
  state: 'fencing' as const,
  reporters: ['a'],
  createdAt: 1,
  updatedAt: 1,
  rev: 1,
});

describe('the SQLite ledger file', () => {
  it('lives in a 0700 directory, with the database, -wal and -shm files 0600', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'fencer-modes-')), 'data');
    const ledger = openSqliteLedger({ dataDir, now });
    await ledger.clusters.write('c', emptyClusterState(), undefined);
    await ledger.durable();
    expect(mode(dataDir)).toBe(0o700);
    for (const file of ['fencer.db', 'fencer.db-wal', 'fencer.db-shm'])
      expect(mode(join(dataDir, file)), file).toBe(0o600);
    expect(ledger.tightened).toEqual([]);
    await ledger.close();
  });

  it('tightens a directory and a database file others could read', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fencer-loose-'));
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'fencer.db'), '', { mode: 0o644 });
    chmodSync(join(dataDir, 'fencer.db'), 0o644);
    const ledger = openSqliteLedger({ dataDir, now });
    expect(ledger.tightened).toEqual([dataDir, join(dataDir, 'fencer.db')]);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'fencer.db'))).toBe(0o600);
    await ledger.close();
  });

  it('keeps what was durable when reopened: WAL, synchronous=FULL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fencer-reopen-'));
    const first = openSqliteLedger({ dataDir, now });
    const etag = await first.clusters.write(
      'c',
      { nodes: { a: { state: 'fenced' } }, incidents: [] },
      undefined,
    );
    await first.queue.send({ cluster: 'c', incidentId: 'x' });
    await first.durable();
    const db = (first as unknown as { documents: { commit: { db: Database.Database } } }).documents
      .commit.db;
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    // Another connection (as after a crash) sees the commit, in WAL mode, synchronous FULL.
    const other = new Database(join(dataDir, 'fencer.db'), { readonly: true });
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(other.prepare('SELECT count(*) AS n FROM fence_queue').get()).toEqual({ n: 1 });
    other.close();
    await first.close();
    const second = openSqliteLedger({ dataDir, now });
    expect(await second.clusters.read('c')).toEqual({
      state: { nodes: { a: { state: 'fenced' } }, incidents: [] },
      etag,
    });
    expect(second.kind).toBe('sqlite');
    await second.close();
  });
});

describe('group commit', () => {
  it('shows a write to later reads at once; durable() resolves once it is committed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fencer-group-'));
    const ledger = openSqliteLedger({ dataDir, now });
    const outside = new Database(join(dataDir, 'fencer.db'), { readonly: true });
    const committedRows = () =>
      (outside.prepare("SELECT count(*) AS n FROM ledger WHERE pk = 'g'").get() as { n: number }).n;
    // Act: writes of one turn share one transaction.
    const writes = [
      ledger.clusters.write('g', emptyClusterState(), undefined),
      ledger.incidents.project('g', record(newIncidentId(now()))),
    ];
    await Promise.all(writes);
    // Assess: visible in-process, not yet committed; committed once durable() resolves.
    expect((await ledger.clusters.read('g')).etag).toEqual(expect.any(String));
    expect(committedRows()).toBe(0);
    await ledger.durable();
    expect(committedRows()).toBe(2);
    outside.close();
    await ledger.close();
  });

  it('rejects durable() when the commit fails, and rolls the writes back', async () => {
    const ledger = openSqliteLedger({ now });
    await ledger.clusters.write('lost', emptyClusterState(), undefined);
    const pending = ledger.durable();
    // A database that goes away under an open transaction (the disk, the file system).
    (
      ledger as unknown as { documents: { commit: { db: Database.Database } } }
    ).documents.commit.db.close();
    await expect(pending).rejects.toMatchObject({ code: 'commit-failed', retryable: true });
    await expect(ledger.health()).rejects.toThrow(/closed/);
  });

  it('signals a changed incident after its commit, not before', async () => {
    const ledger = openSqliteLedger({ now });
    const seen: string[] = [];
    const stop = ledger.onIncidentChange?.((cluster, id) => seen.push(`${cluster}/${id}`));
    const id = newIncidentId(now());
    await ledger.incidents.project('s', record(id));
    expect(seen).toEqual([]);
    await ledger.durable();
    expect(seen).toEqual([`s/${id}`]);
    stop?.();
    await ledger.incidents.appendAttempt('s', id, {
      level: 1,
      driver: 'dummy',
      startedAt: 'x',
      endedAt: 'y',
      outcome: 'off',
      detail: 'off',
    });
    await ledger.durable();
    expect(seen).toHaveLength(1);
    await ledger.close();
  });
});

describe('the in-memory ledger (no --data-dir)', () => {
  it('keeps nothing on disk', async () => {
    const ledger = openSqliteLedger({ now });
    expect(ledger.path).toBe(':memory:');
    await ledger.close();
  });
});
