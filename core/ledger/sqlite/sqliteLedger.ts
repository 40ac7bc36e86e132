import type { IncidentRecord } from '../../arbiter/state.ts';
import { LedgerError } from '../../errors.ts';
import type { Attempt, RefusedReport } from '../../protocol/api.ts';
import { ClusterStore } from '../clusterStore.ts';
import { IncidentStore } from '../incidentStore.ts';
import type { IncidentChangeListener, IncidentLedger, Ledger } from '../ledger.ts';
import { LedgerOutbox } from '../outboxStore.ts';
import { LedgerReadinessStore } from '../readinessStore.ts';
import { LedgerRelayActions } from '../relayActionStore.ts';
import { ReplayStore } from '../replayStore.ts';
import { GroupCommit } from './groupCommit.ts';
import { SqliteDocuments } from './sqliteDocuments.ts';
import { openDatabaseFile } from './sqliteFile.ts';
import { SqliteFenceQueue } from './sqliteQueue.ts';

export interface SqliteLedgerOptions {
  /** `fencer.db` lives here (created 0700); in memory without it. */
  dataDir?: string;
  now: () => number;
  /** Called after each send (the local host wakes its poller). */
  onEnqueue?: (delayMs: number) => void;
}

export type SqliteLedger = Ledger & {
  /** The database file, or `:memory:`. */
  path: string;
  /** Paths whose modes were wider than 0700/0600 and were tightened at open. */
  tightened: string[];
  documents: SqliteDocuments;
};

/**
 * The embedded ledger of the local host: one SQLite file, no other process, no port. Writes
 * join a group commit (see GroupCommit): `durable()` is the commit every answer waits for.
 */
export function openSqliteLedger(options: SqliteLedgerOptions): SqliteLedger {
  const { db, path, tightened } = openDatabaseFile(options.dataDir);
  const commit = new GroupCommit(db);
  const documents = new SqliteDocuments(commit, 'ledger');
  const listeners = new Set<IncidentChangeListener>();
  const changed = (cluster: string, id: string | undefined) => {
    if (!id || listeners.size === 0) return;
    commit.afterCommit(() => {
      for (const listener of listeners) listener(cluster, id);
    });
  };
  const queue = new SqliteFenceQueue(commit, options.now, options.onEnqueue);
  const probe = db.prepare("SELECT value FROM meta WHERE key = 'schema'");
  return {
    kind: 'sqlite',
    path,
    tightened,
    documents,
    clusters: new ClusterStore(documents),
    incidents: signalling(new IncidentStore(documents), changed),
    replay: new ReplayStore(new SqliteDocuments(commit, 'replay'), options.now),
    readiness: new LedgerReadinessStore(documents),
    outbox: new LedgerOutbox(documents),
    relayActions: new LedgerRelayActions(documents),
    queue,
    consumer: queue,
    async health() {
      if (!db.open) throw new LedgerError('closed', 'the ledger database is closed');
      if (!probe.get()) throw new LedgerError('corrupt', 'the ledger database has no schema');
    },
    durable: () => commit.durable(),
    onIncidentChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (!db.open) return;
      commit.flush();
      db.close();
    },
  };
}

/** The incident store, telling listeners (after the commit) which incident a write touched. */
function signalling(
  store: IncidentStore,
  changed: (cluster: string, id: string | undefined) => void,
): IncidentLedger {
  const tell = async <T>(cluster: string, id: string, write: Promise<T>) => {
    const result = await write;
    changed(cluster, id);
    return result;
  };
  return {
    project: (cluster: string, record: IncidentRecord, reason?: string) =>
      tell(cluster, record.id, store.project(cluster, record, reason)),
    appendRefusedReport: (cluster: string, id: string, report: RefusedReport) =>
      tell(cluster, id, store.appendRefusedReport(cluster, id, report)),
    appendAttempt: (cluster: string, id: string, attempt: Attempt) =>
      tell(cluster, id, store.appendAttempt(cluster, id, attempt)),
    get: (cluster, id) => store.get(cluster, id),
    list: (cluster, limit) => store.list(cluster, limit),
  };
}
