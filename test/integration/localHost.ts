import { inject } from 'vitest';
import { startLocalHost } from '../../cli/localHost.ts';
import type { LoadedConfig } from '../../core/config/load.ts';
import { silentLog } from '../../core/log.ts';
import { uniquePrefix } from '../support/testCluster.ts';

/** The real local host in this process, on the suite's Azurite, with its own storage prefix. */
export function startTestHost(
  loaded: LoadedConfig,
  name: string,
  extra: { leaseMs?: number; sweepMs?: number; readinessTickMs?: number } = {},
) {
  return startLocalHost({
    loaded,
    log: silentLog,
    port: 0,
    connectionString: inject('azurite'),
    storagePrefix: uniquePrefix(name),
    drainMs: 5_000,
    ...extra,
  });
}
