import { loadConfigFile } from '../core/config/load.ts';
import { startLocalHost } from './localHost.ts';
import { createLogger } from './logger.ts';
import { version } from './version.ts';

export interface ServeOptions {
  config: string;
  port: number;
  dataDir?: string;
}

const numberFrom = (value: string | undefined) => (value ? Number(value) : undefined);

/**
 * `fencer serve` (composition root of the local host): config, storage from
 * `AzureWebJobsStorage` or an embedded Azurite, and signals. SIGTERM drains and exits 0.
 */
export async function serve(options: ServeOptions, env = process.env): Promise<void> {
  const log = createLogger('fencer');
  const loaded = loadConfigFile(options.config, { env });
  for (const warning of loaded.warnings) log.warn({ config: options.config }, warning);
  const tuning = {
    leaseMs: numberFrom(env.FENCER_LEASE_MS),
    sweepMs: numberFrom(env.FENCER_SWEEP_MS),
    drainMs: numberFrom(env.FENCER_DRAIN_MS),
    readinessTickMs: numberFrom(env.FENCER_READINESS_TICK_MS),
  };
  const host = await startLocalHost({
    loaded,
    log,
    port: options.port,
    ...(env.AzureWebJobsStorage ? { connectionString: env.AzureWebJobsStorage } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(env.FENCER_STORAGE_PREFIX ? { storagePrefix: env.FENCER_STORAGE_PREFIX } : {}),
    ...Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined)),
  });
  log.info({ port: host.port, version }, 'ready');
  process.stdout.write(`listening on http://127.0.0.1:${host.port}\n`);

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
}
