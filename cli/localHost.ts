import { hostname } from 'node:os';
import { type Clock, systemClock } from '../core/clock.ts';
import type { LoadedConfig } from '../core/config/load.ts';
import type { FencePolicy } from '../core/engine/policy.ts';
import type { Ledger } from '../core/ledger/ledger.ts';
import type { Log } from '../core/log.ts';
import { dispatchDue } from '../core/notifications/dispatcher.ts';
import { runReadinessTick } from '../core/readiness/tick.ts';
import { createRuntime, type Runtime } from '../core/runtime.ts';
import { processFenceMessage, processPoisonMessage } from '../core/worker/fenceWorker.ts';
import { sweep } from '../core/worker/sweeper.ts';
import {
  createHttpHost,
  defaultHttpLimits,
  type HttpLimits,
  listen,
  type TlsFiles,
} from './httpHost.ts';
import { type LedgerChoice, openLedger } from './openLedger.ts';
import { startPeriodic } from './periodic.ts';
import { startQueuePoller } from './queuePoller.ts';
import { version } from './version.ts';

export interface LocalHostOptions {
  loaded: LoadedConfig;
  log: Log;
  port: number;
  /** Default 127.0.0.1; plain HTTP is for loopback only (cli/listenAddress.ts checks). */
  host?: string;
  tls?: TlsFiles;
  /** SQLite (default: under `dataDir`, in memory without) or Table Storage. */
  ledger?: LedgerChoice;
  dataDir?: string;
  limits?: Partial<HttpLimits>;
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
  /** `http(s)://HOST:PORT/api` */
  url: string;
  runtime: Runtime;
  ledger: Ledger;
  /** Swaps the certificate for new connections (SIGHUP). */
  setTls(files: TlsFiles): void;
  /** Stops accepting, drains in-flight work (up to drainMs), closes the ledger. */
  stop(): Promise<void>;
}

/** How long the start waits for the first readiness round before it listens anyway. */
const firstReadinessWaitMs = 3_000;

/**
 * The local host: the Functions app's handlers over node:http(s), a queue poller running the
 * same worker, and the repair sweeper (at start, then periodically). One process, one port.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const { log } = options;
  const clock = options.clock ?? systemClock;
  let wakePoller = () => {};
  let wakeNotifications = () => {};
  const ledger = await openLedger(options.ledger ?? { kind: 'sqlite' }, {
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    now: () => clock.now(),
    onEnqueue: (delayMs) => {
      if (delayMs === 0) wakePoller();
    },
    log,
  });
  const runtime = createRuntime({
    loaded: options.loaded,
    ledger,
    log,
    version,
    clock,
    owner: `${hostname()}-${process.pid}`,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    onEvent: () => wakeNotifications(),
  });
  const poller = startQueuePoller({
    queue: ledger.consumer,
    clock,
    log,
    handle: (message, signal) => processFenceMessage(runtime, message, signal),
    poison: (message) => processPoisonMessage(runtime, message),
  });
  wakePoller = poller.wake;
  const warmedUp = runtime.drivers.warmUp(options.loaded.config);

  const runSweep = () =>
    sweep(runtime).catch((err) => log.warn({ err: String(err) }, 'sweep failed'));
  // At start: resume what a crash left behind, without waiting for the first tick.
  await runSweep();
  const sweeper = setInterval(runSweep, options.sweepMs ?? 10_000);

  // Driver modules and SDKs load before the host says it listens (bounded: a slow one is left
  // to finish in the background), so the first fence never waits for a module load.
  await Promise.race([warmedUp, clock.sleep(10_000)]);
  // So does the first readiness round (bounded more tightly: a hung device must not hold the
  // start): its checks get the tokens, open the connections and run the code a fence uses, and
  // the first fence does not queue behind a check of its own device at the relay.
  const readinessTickMs = options.readinessTickMs ?? 5_000;
  const readiness = startPeriodic(
    () => runReadinessTick(runtime, readinessTickMs),
    readinessTickMs,
    log,
    'readiness tick',
  );
  await Promise.race([readiness.firstRun, clock.sleep(firstReadinessWaitMs)]);

  const limits = { ...defaultHttpLimits, ...options.limits };
  const http = createHttpHost(runtime, limits, options.tls);
  const host = options.host ?? '127.0.0.1';
  const port = await listen(http.server, options.port, host);
  const shown = host.includes(':') ? `[${host}]` : host;
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
  return {
    port,
    url: `${options.tls ? 'https' : 'http'}://${shown}:${port}/api`,
    runtime,
    ledger,
    setTls(files) {
      (http.server as unknown as { setSecureContext(o: TlsFiles): void }).setSecureContext(files);
    },
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
      await ledger.close();
    },
  };
}
