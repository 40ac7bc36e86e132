import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../core/ledger/sqlite/groupCommit.ts';

const turn = () => new Promise((r) => setImmediate(r));
let db: Database.Database;

function openCommit(gapMs: number) {
  db = new Database(':memory:');
  db.exec(
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER); INSERT INTO meta VALUES ('version', 0)",
  );
  db.exec('CREATE TABLE t (v INTEGER)');
  const commit = new GroupCommit(db, gapMs);
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  return { commit, write: (v: number) => commit.write(() => insert.run(v)) };
}

afterEach(() => db?.close());

describe('group commit', () => {
  it('an idle ledger commits at the end of the turn, without waiting for the gap', async () => {
    // Prepare
    const { commit, write } = openCommit(200);

    // Act
    const started = performance.now();
    write(1);
    await commit.durable();

    // Assess
    expect(performance.now() - started).toBeLessThan(100);
    expect(db.inTransaction).toBe(false);
  });

  it('writes of the turns within the gap after a commit share the next commit', async () => {
    // Prepare: one commit just ended.
    const { commit, write } = openCommit(60);
    write(0);
    await commit.durable();
    const ended = performance.now();

    // Act: writes in five later turns, within the gap.
    const batches = new Set<Promise<void>>();
    for (let v = 1; v <= 5; v++) {
      write(v);
      batches.add(commit.durable());
      await turn();
    }
    await commit.durable();

    // Assess: one commit for all five, no sooner than the gap after the last one.
    expect(batches.size).toBe(1);
    expect(performance.now() - ended).toBeGreaterThanOrEqual(55);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 6 });
  });

  it('a failed commit rejects the writes that joined it and rolls them back', async () => {
    // Prepare
    const { commit, write } = openCommit(0);
    write(1);
    const pending = commit.durable();

    // Act: the connection is lost before the commit.
    db.close();

    // Assess
    await expect(pending).rejects.toMatchObject({ code: 'commit-failed' });
    db = new Database(':memory:');
  });
});
