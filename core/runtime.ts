import { incidentView } from './api/incidentView.ts';
import { IncidentWatch } from './api/incidentWatch.ts';
import type { ApiContext } from './api/types.ts';
import { KeyedMutex } from './arbiter/keyedMutex.ts';
import { type Clock, systemClock } from './clock.ts';
import type { LoadedConfig } from './config/load.ts';
import { DriverCache } from './drivers/driverCache.ts';
import { driverContextOf } from './drivers/registry.ts';
import { RelayMailbox } from './drivers/relayMailbox.ts';
import type { FencePolicy } from './engine/policy.ts';
import { ClusterStore } from './ledger/clusterStore.ts';
import { type FenceQueue, StorageFenceQueue } from './ledger/fenceQueue.ts';
import { IncidentStore } from './ledger/incidentStore.ts';
import { TableOutbox } from './ledger/outboxTable.ts';
import { TableReadinessStore } from './ledger/readinessTable.ts';
import { TableRelayActionStore } from './ledger/relayActionTable.ts';
import { ReplayStore } from './ledger/replayStore.ts';
import type { StorageClients } from './ledger/storage.ts';
import type { Log } from './log.ts';
import type { Outbox } from './notifications/outbox.ts';
import { outboxEventSink } from './notifications/sink.ts';
import type { ReadinessDeps } from './readiness/tick.ts';
import type { WorkerDeps } from './worker/fenceWorker.ts';

export type Runtime = ApiContext & WorkerDeps & ReadinessDeps & { outbox: Outbox };

export interface RuntimeOptions {
  loaded: LoadedConfig;
  storage: StorageClients;
  log: Log;
  version: string;
  clock?: Clock;
  /** Wraps the queue, e.g. to wake the local poller at once after a send. */
  onEnqueue?: (delayMs: number) => void;
  owner?: string;
  leaseMs?: number;
  policy?: FencePolicy;
  queue?: FenceQueue;
  /** Called when new notifications wait in the outbox (the local host's dispatcher wakes). */
  onEvent?: () => void;
}

/** Wires config, storage and ports into what the API handlers and the worker use. Host-agnostic. */
export function createRuntime(options: RuntimeOptions): Runtime {
  const clock = options.clock ?? systemClock;
  const { loaded } = options;
  const outbox = new TableOutbox(options.storage.ledger);
  const relayMailbox = new RelayMailbox(new TableRelayActionStore(options.storage.ledger), clock);
  const runtime: Runtime = {
    config: loaded.config,
    loaded,
    clock,
    clusters: new ClusterStore(options.storage.ledger),
    incidents: new IncidentStore(options.storage.ledger),
    replay: new ReplayStore(options.storage.replay, () => clock.now()),
    queue: options.queue ?? new StorageFenceQueue(options.storage.queue, options.onEnqueue),
    serial: new KeyedMutex(),
    drivers: new DriverCache({ ...driverContextOf(loaded, clock), relayMailbox }),
    relayMailbox,
    log: options.log,
    version: options.version,
    basePath: '/api',
    ...(options.owner ? { owner: options.owner } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    incidentWatch: new IncidentWatch((cluster, id) => incidentView(runtime, cluster, id), clock),
    onIncidentChanged: (cluster, id) => runtime.incidentWatch.notify(cluster, id),
    readiness: new TableReadinessStore(options.storage.ledger),
    outbox,
    events: outboxEventSink({
      outbox,
      hooks: loaded.config.notifications,
      clock,
      log: options.log,
      onAdded: () => options.onEvent?.(),
    }),
  };
  return runtime;
}
