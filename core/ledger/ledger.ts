import type { ClusterState, IncidentRecord } from '../arbiter/state.ts';
import type { NonceStore } from '../auth/verify.ts';
import type { RelayActionStore } from '../drivers/relayActions.ts';
import type { Outbox } from '../notifications/outbox.ts';
import type { Attempt, Incident, RefusedReport } from '../protocol/api.ts';
import type { ReadinessStore } from '../readiness/types.ts';
import type { FenceQueue, QueueConsumer } from './fenceQueue.ts';

/**
 * The ledger port (DESIGN "Ledger"): everything the arbiter, the API and the worker keep. Two
 * implementations translate it: Table Storage + Storage Queue (core/ledger/table/) and an
 * embedded SQLite file (core/ledger/sqlite/). The rules on top of the rows (compare-and-set
 * loops, the incident revision guard, eventId claims, chunking) are written once, in
 * clusterStore.ts, incidentStore.ts and replayStore.ts, over the `DocumentTable` below.
 */

/** The cluster entity as read: its state and the ETag a write must match. */
export interface Versioned {
  state: ClusterState;
  /** undefined: the entity does not exist yet (first decision creates it). */
  etag: string | undefined;
}

/** The cluster entity: the single serialisation point of every decision. */
export interface ClusterLedger {
  read(cluster: string): Promise<Versioned>;
  /**
   * Compare-and-set on the ETag (`undefined`: create). Returns the new ETag, or false when
   * someone else wrote first (412 on update, 409 on create): re-read and retry.
   */
  write(cluster: string, state: ClusterState, etag: string | undefined): Promise<string | false>;
}

/** Incident history: the cluster entity's records projected, plus attempts and refusals. */
export interface IncidentLedger {
  /** Writes the record's view unless a newer revision is stored (the revision guard). */
  project(cluster: string, record: IncidentRecord, reason?: string): Promise<Incident | undefined>;
  appendRefusedReport(
    cluster: string,
    id: string,
    report: RefusedReport,
  ): Promise<Incident | undefined>;
  appendAttempt(cluster: string, id: string, attempt: Attempt): Promise<Incident | undefined>;
  get(cluster: string, id: string): Promise<Incident | undefined>;
  /** Newest first. */
  list(cluster: string, limit: number): Promise<Incident[]>;
}

/** What an eventId is to a new report (DESIGN "Request signing": eventIds). */
export type EventClaim =
  | { kind: 'new' }
  /** Used before for the same target; `incidentId` once that report was decided. */
  | { kind: 'same'; incidentId?: string }
  /** Used before for another target: 409 `event-conflict`. */
  | { kind: 'conflict'; target: string };

/** Nonces and eventIds with an expiry; expired entries count as absent before any sweep. */
export interface ReplayLedger extends NonceStore {
  claimEvent(
    cluster: string,
    reporter: string,
    eventId: string,
    target: string,
    expiresAtMs: number,
  ): Promise<EventClaim>;
  rememberEvent(
    cluster: string,
    reporter: string,
    eventId: string,
    target: string,
    incidentId: string,
    expiresAtMs: number,
  ): Promise<void>;
  /** Deletes expired entries; returns how many. */
  sweep(): Promise<number>;
}

/** Told after a commit that touched an incident (cluster, incident id). */
export type IncidentChangeListener = (cluster: string, incidentId: string) => void;

export interface Ledger {
  readonly kind: 'sqlite' | 'table';
  readonly clusters: ClusterLedger;
  readonly incidents: IncidentLedger;
  readonly replay: ReplayLedger;
  /** Readiness per device and node (written whole, last writer wins). */
  readonly readiness: ReadinessStore;
  /** The notification outbox (DESIGN "Notifications"). */
  readonly outbox: Outbox;
  /** Pull-mode relays' actions, answers and last polls (DESIGN "Relay agent protocol"). */
  readonly relayActions: RelayActionStore;
  readonly queue: FenceQueue;
  readonly consumer: QueueConsumer;
  /** Resolves when the ledger can be read; rejects (with the reason) when it cannot. */
  health(): Promise<void>;
  /**
   * Resolves once every write made so far is durable; rejects if its commit failed. Writes
   * are visible to later reads at once, but nothing may leave the process on their strength
   * (an HTTP answer, a driver call) before this resolves. Table Storage: at once (each write
   * was durable when it returned); SQLite: the group commit those writes belong to.
   */
  durable(): Promise<void>;
  /**
   * In-process change signal (SQLite: after the commit). Returns the unsubscribe. A ledger
   * shared by several processes (Table Storage) cannot see the others' writes: it has none.
   */
  onIncidentChange?(listener: IncidentChangeListener): () => void;
  close(): Promise<void>;
}

export interface RowRange {
  from?: string;
  below: string;
}

/** One stored row: its properties and the version (ETag) a conditional write must match. */
export interface StoredDocument {
  row: string;
  doc: Record<string, unknown>;
  etag: string;
}

/**
 * The storage primitive both implementations translate: rows of JSON properties keyed by
 * (partition, row) with an opaque version. Conditional writes answer false on a lost race.
 * A numeric `expiresAt` property makes a row subject to `deleteExpired`.
 */
export interface DocumentTable {
  get(partition: string, row: string): Promise<StoredDocument | undefined>;
  /** Insert if absent: the new ETag, or false when the row exists. */
  create(partition: string, row: string, doc: Record<string, unknown>): Promise<string | false>;
  /** Replace if the ETag still matches: the new ETag, or false. */
  replace(
    partition: string,
    row: string,
    doc: Record<string, unknown>,
    etag: string,
  ): Promise<string | false>;
  upsert(partition: string, row: string, doc: Record<string, unknown>): Promise<void>;
  /** Rows of a partition in ascending row order, from `from` (inclusive) to `below` (exclusive). */
  list(partition: string, range: RowRange, limit: number): Promise<StoredDocument[]>;
  /** Deletes a partition's rows whose `expiresAt` is before `nowMs`; returns how many. */
  deleteExpired(partition: string, nowMs: number): Promise<number>;
  /** Deletes one row (absent already: nothing to do). */
  delete(partition: string, row: string): Promise<void>;
}
