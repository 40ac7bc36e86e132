import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Clock, systemClock } from '../core/clock.ts';
import type { LoadedConfig } from '../core/config/load.ts';
import type { FencePolicy } from '../core/engine/policy.ts';
import {
  clientsFromConnectionString,
  ensureStorage,
  storageNames,
} from '../core/ledger/storage.ts';
import type { Log } from '../core/log.ts';
import { dispatchDue } from '../core/notifications/dispatcher.ts';
import { runReadinessTick } from '../core/readiness/tick.ts';
import { createRuntime, type Runtime } from '../core/runtime.ts';
import { processFenceMessage, processPoisonMessage } from '../core/worker/fenceWorker.ts';
import { sweep } from '../core/worker/sweeper.ts';
import { type EmbeddedAzurite, startEmbeddedAzurite } from './embeddedAzurite.ts';
import { createHttpHost, listen } from './httpHost.ts';
import { startPeriodic } from './periodic.ts';
import { startQueuePoller } from './queuePoller.ts';
import { version } from './version.ts';

export interface LocalHostOptions {
  loaded: LoadedConfig;
  log: Log;
  port: number;
  /** Storage connection string; without one an embedded Azurite is started. */
  connectionString?: string;
  /** Embedded Azurite keeps its data here (persistent); in memory without it. */
  dataDir?: string;
  storagePrefix?: string;
  leaseMs?: number;
  sweepMs?: number;
  /** How often the readiness checks look for due devices (their interval is per cluster). */
  readinessTickMs?: number;
  drainMs?: number;
  clock?: Clock;
  policy?: FencePolicy;
}

export interface LocalHost {
  port: number;
  url: string;
  runtime: Runtime;
  /** Stops accepting, drains in-flight work (up to drainMs), stops the embedded Azurite. */
  stop(): Promise<void>;
}

/**
 * The local host: the Functions app's handlers over node:http, a queue poller running the
 * same worker, and the repair sweeper (at start, then periodically).
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const { log } = options;
  const clock = options.clock ?? systemClock;
  let azurite: EmbeddedAzurite | undefined;
  let connectionString = options.connectionString;
  if (!connectionString) {
    azurite = await startEmbeddedAzurite(
      options.dataDir ? { dataDir: join(options.dataDir, 'azurite') } : {},
    );
    connectionString = azurite.connectionString;
    log.info(
      { azuritePid: azurite.pid, persistent: Boolean(options.dataDir) },
      'embedded Azurite started',
    );
  }
  const storage = clientsFromConnectionString(
    connectionString,
    storageNames(options.storagePrefix),
  );
  await ensureStorage(storage);

  let wakePoller = () => {};
  let wakeNotifications = () => {};
  const runtime = createRuntime({
    loaded: options.loaded,
    storage,
    log,
    version,
    clock,
    owner: `${hostname()}-${process.pid}`,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    onEnqueue: (delayMs) => {
      if (delayMs === 0) wakePoller();
    },
    onEvent: () => wakeNotifications(),
  });
  const poller = startQueuePoller({
    queue: storage.queue,
    clock,
    log,
    handle: (message, signal) => processFenceMessage(runtime, message, signal),
    poison: (message) => processPoisonMessage(runtime, message),
  });
  wakePoller = poller.wake;

  const runSweep = () =>
    sweep(runtime).catch((err) => log.warn({ err: String(err) }, 'sweep failed'));
  // At start: resume what a crash left behind, without waiting for the first tick.
  await runSweep();
  const sweeper = setInterval(runSweep, options.sweepMs ?? 10_000);

  const http = createHttpHost(runtime);
  const port = await listen(http.server, options.port);
  // Driver modules and SDKs load now, in the background, not on the first fence.
  void runtime.drivers.warmUp(options.loaded.config);
  const notifications = startPeriodic(
    () =>
      dispatchDue({
        ...runtime,
        hooks: options.loaded.config.notifications,
        secret: options.loaded.secret,
      }),
    1_000,
    log,
    'notification dispatch',
  );
  wakeNotifications = notifications.wake;
  const readinessTickMs = options.readinessTickMs ?? 5_000;
  const readiness = startPeriodic(
    () => runReadinessTick(runtime, readinessTickMs),
    readinessTickMs,
    log,
    'readiness tick',
  );
  return {
    port,
    url: `http://127.0.0.1:${port}/api`,
    runtime,
    async stop() {
      clearInterval(sweeper);
      await readiness.stop();
      await notifications.stop();
      const closed = new Promise<void>((resolve) => http.server.close(() => resolve()));
      http.server.closeIdleConnections();
      await poller.stop(options.drainMs ?? 30_000);
      // Long-polling GETs (waitSeconds) would hold the close for minutes; clients retry them.
      const force = setTimeout(() => http.server.closeAllConnections(), 2_000);
      await closed;
      clearTimeout(force);
      await azurite?.stop();
    },
  };
}
