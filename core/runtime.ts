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
import type { FenceQueue } from './ledger/fenceQueue.ts';
import type { Ledger } from './ledger/ledger.ts';
import type { Log } from './log.ts';
import type { Outbox } from './notifications/outbox.ts';
import { outboxEventSink } from './notifications/sink.ts';
import type { ReadinessDeps } from './readiness/tick.ts';
import type { WorkerDeps } from './worker/fenceWorker.ts';

export type Runtime = ApiContext & WorkerDeps & ReadinessDeps & { outbox: Outbox };

export interface RuntimeOptions {
  loaded: LoadedConfig;
  /** Table Storage (functions/deps.ts) or SQLite (the local host's default). */
  ledger: Ledger;
  log: Log;
  version: string;
  clock?: Clock;
  owner?: string;
  leaseMs?: number;
  policy?: FencePolicy;
  /** Replaces the ledger's queue (tests that look at what was sent). */
  queue?: FenceQueue;
  /** Called when new notifications wait in the outbox (the local host's dispatcher wakes). */
  onEvent?: () => void;
}

/** Wires config, the ledger and ports into what the API handlers and the worker use. Host-agnostic. */
export function createRuntime(options: RuntimeOptions): Runtime {
  const clock = options.clock ?? systemClock;
  const { loaded, ledger } = options;
  const outbox = ledger.outbox;
  const relayMailbox = new RelayMailbox(ledger.relayActions, clock);
  const runtime: Runtime = {
    config: loaded.config,
    loaded,
    clock,
    ledger,
    clusters: ledger.clusters,
    incidents: ledger.incidents,
    replay: ledger.replay,
    queue: options.queue ?? ledger.queue,
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
    readiness: ledger.readiness,
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
