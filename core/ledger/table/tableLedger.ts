import { ClusterStore } from '../clusterStore.ts';
import { IncidentStore } from '../incidentStore.ts';
import type { Ledger } from '../ledger.ts';
import { LedgerOutbox } from '../outboxStore.ts';
import { LedgerReadinessStore } from '../readinessStore.ts';
import { LedgerRelayActions } from '../relayActionStore.ts';
import { ReplayStore } from '../replayStore.ts';
import type { StorageClients } from '../storage.ts';
import { StorageFenceQueue } from './storageQueue.ts';
import { TableDocuments } from './tableDocuments.ts';
import { isNotFound } from './tableErrors.ts';

export interface TableLedgerOptions {
  now: () => number;
  /** Called after each send (the local host wakes its poller). */
  onEnqueue?: (delayMs: number) => void;
  /** A health probe that takes longer than this is a failure. */
  healthTimeoutMs?: number;
}

/**
 * The ledger on Table Storage + a Storage Queue: the Functions app always, the local host when
 * `AzureWebJobsStorage` is set. Each write is durable when the service answered it.
 */
export function tableLedger(
  storage: StorageClients,
  options: TableLedgerOptions,
): Ledger & {
  documents: TableDocuments;
} {
  const documents = new TableDocuments(storage.ledger);
  const queue = new StorageFenceQueue(storage.queue, options.onEnqueue);
  const timeoutMs = options.healthTimeoutMs ?? 3_000;
  return {
    kind: 'table',
    documents,
    clusters: new ClusterStore(documents),
    incidents: new IncidentStore(documents),
    replay: new ReplayStore(new TableDocuments(storage.replay), options.now),
    readiness: new LedgerReadinessStore(documents),
    outbox: new LedgerOutbox(documents),
    relayActions: new LedgerRelayActions(documents),
    queue,
    consumer: queue,
    async health() {
      const abortSignal = AbortSignal.timeout(timeoutMs);
      // A point read of a row that never exists: 404 proves the table answers.
      const probe = storage.ledger.getEntity('health', 'probe', { abortSignal }).then(
        () => undefined,
        (err: unknown) => {
          if (!isNotFound(err)) throw err;
        },
      );
      await Promise.all([probe, storage.queue.getProperties({ abortSignal })]);
    },
    durable: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
