import { readFileSync } from 'node:fs';
import { loadConfigFile } from '../core/config/load.ts';
import { errorMessage } from '../core/errors.ts';
import type { TlsFiles } from './httpHost.ts';
import { checkTransport, type ListenAddress, urlOf } from './listenAddress.ts';
import { startLocalHost } from './localHost.ts';
import { createLogger } from './logger.ts';
import { UsageError } from './usageError.ts';
import { version } from './version.ts';

export interface ServeOptions {
  config: string;
  listen: ListenAddress;
  tls?: { certFile: string; keyFile: string };
  dataDir?: string;
}

const numberFrom = (value: string | undefined) => (value ? Number(value) : undefined);

const readTls = (tls: { certFile: string; keyFile: string }): TlsFiles => ({
  cert: readFileSync(tls.certFile),
  key: readFileSync(tls.keyFile),
});

/**
 * `fencer serve` (composition root of the local host): config, the ledger (SQLite under
 * `--data-dir`, or Table Storage when `AzureWebJobsStorage` is set), the listener, signals.
 * It starts no other process and opens one TCP port. SIGTERM drains and exits 0; SIGHUP
 * reloads the TLS certificate.
 */
export async function serve(options: ServeOptions, env = process.env): Promise<void> {
  checkTransport(options.listen, Boolean(options.tls));
  const log = createLogger('fencer');
  const loaded = loadConfigFile(options.config, { env });
  for (const warning of loaded.warnings) log.warn({ config: options.config }, warning);
  let tls: TlsFiles | undefined;
  try {
    tls = options.tls ? readTls(options.tls) : undefined;
  } catch (err) {
    throw new UsageError(`cannot read the TLS certificate or key: ${errorMessage(err)}`);
  }
  const tuning = {
    leaseMs: numberFrom(env.FENCER_LEASE_MS),
    sweepMs: numberFrom(env.FENCER_SWEEP_MS),
    drainMs: numberFrom(env.FENCER_DRAIN_MS),
    readinessTickMs: numberFrom(env.FENCER_READINESS_TICK_MS),
  };
  const host = await startLocalHost({
    loaded,
    log,
    host: options.listen.host,
    port: options.listen.port,
    ...(tls ? { tls } : {}),
    ledger: env.AzureWebJobsStorage
      ? {
          kind: 'table',
          connectionString: env.AzureWebJobsStorage,
          ...(env.FENCER_STORAGE_PREFIX ? { storagePrefix: env.FENCER_STORAGE_PREFIX } : {}),
        }
      : { kind: 'sqlite' },
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined)),
  });

  const { tls: tlsFiles } = options;
  // SIGHUP (systemctl reload) reloads the certificate; without one it must not end the host.
  process.on('SIGHUP', () => {
    if (!tlsFiles) {
      log.info({}, 'SIGHUP: no TLS certificate to reload');
      return;
    }
    try {
      host.setTls(readTls(tlsFiles));
      log.info({ cert: tlsFiles.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'TLS reload failed; keeping the current certificate');
    }
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: draining in-flight work');
    await host.stop();
    log.info({}, 'stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // Only now: a supervisor may send SIGTERM as soon as it reads this line, and before the
  // handlers above are in place that signal would end the process without draining.
  const url = urlOf({ host: options.listen.host, port: host.port }, Boolean(tls));
  log.info({ url, ledger: host.ledger.kind, version }, 'ready');
  process.stdout.write(`listening on ${url}\n`);
}
