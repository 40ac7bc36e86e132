import type Database from 'better-sqlite3';
import { LedgerError } from '../../errors.ts';

interface Batch {
  committed: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
  afterCommit: Set<() => void>;
}

/**
 * How long after a commit ended the next may start. A commit (fsync, synchronous=FULL) blocks
 * the event loop for a few ms; without a gap a busy host spends its time in back-to-back
 * fsyncs of one report each (measured: ~1 commit per report, 6 writes each, 130 reports/s).
 * With it, the reports of the next few ms share one fsync. An idle ledger commits at once.
 */
export const defaultCommitGapMs = 8;

/**
 * Group commit on one SQLite connection. Writes run at once inside the open transaction (the
 * first write opens it), so every later read sees them; the transaction commits at the end of
 * that event-loop turn (`setImmediate`) — or, when the previous commit ended less than
 * `gapMs` ago, that long after it — with one fsync for every write made until then.
 * `durable()` is what callers await before anything leaves the process: it resolves when the
 * writes made so far are committed, and rejects if that commit failed (then rolled back:
 * whoever acted on those writes got no answer out).
 */
export class GroupCommit {
  private batch: Batch | undefined;
  private lastCommitEnded = Number.NEGATIVE_INFINITY;
  private readonly nextVersion: Database.Statement<[], { value: number }>;

  constructor(
    readonly db: Database.Database,
    private readonly gapMs = defaultCommitGapMs,
  ) {
    this.nextVersion = db.prepare(
      "UPDATE meta SET value = value + 1 WHERE key = 'version' RETURNING value",
    );
  }

  /** Runs `write` in the open transaction (opening one). */
  write<T>(write: () => T): T {
    if (!this.batch) this.begin();
    return write();
  }

  /** A version no row ever had: the ETag of the next write (deleted rows never come back). */
  version(): number {
    const row = this.nextVersion.get();
    if (!row) throw new LedgerError('corrupt', 'the ledger has no version counter');
    return row.value;
  }

  durable(): Promise<void> {
    return this.batch?.committed ?? Promise.resolve();
  }

  /** Runs `task` once the writes made so far are committed (at once when they are). */
  afterCommit(task: () => void): void {
    if (this.batch) this.batch.afterCommit.add(task);
    else task();
  }

  /** Commits what is open (a clean stop). */
  flush(): void {
    this.commit();
  }

  private begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
    let resolve = () => {};
    let reject: (err: unknown) => void = () => {};
    const committed = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A batch nobody awaits must not become an unhandled rejection.
    committed.catch(() => undefined);
    this.batch = { committed, resolve, reject, afterCommit: new Set() };
    const wait = this.lastCommitEnded + this.gapMs - performance.now();
    if (wait > 0) setTimeout(() => this.commit(), wait);
    else setImmediate(() => this.commit());
  }

  private commit(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      this.lastCommitEnded = performance.now();
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // The connection is gone; the next write reports it.
      }
      batch.reject(
        new LedgerError('commit-failed', 'the ledger commit failed', {
          retryable: true,
          cause: err,
        }),
      );
      return;
    }
    this.lastCommitEnded = performance.now();
    batch.resolve();
    for (const task of batch.afterCommit) task();
  }
}
