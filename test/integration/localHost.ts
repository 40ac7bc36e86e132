import { inject } from 'vitest';
import type { HttpLimits } from '../../cli/httpHost.ts';
import { startLocalHost } from '../../cli/localHost.ts';
import type { LoadedConfig } from '../../core/config/load.ts';
import { silentLog } from '../../core/log.ts';
import type { LedgerKind } from '../support/ledgers.ts';
import { uniquePrefix } from '../support/testCluster.ts';

/**
 * The real local host in this process: on SQLite (in memory, the default), or on Table
 * Storage (the suite's Azurite, a storage prefix of its own).
 */
export function startTestHost(
  loaded: LoadedConfig,
  name: string,
  extra: {
    leaseMs?: number;
    sweepMs?: number;
    ledger?: LedgerKind;
    dataDir?: string;
    limits?: Partial<HttpLimits>;
    readinessTickMs?: number;
  } = {},
) {
  const { ledger = 'sqlite', ...rest } = extra;
  return startLocalHost({
    loaded,
    log: silentLog,
    port: 0,
    ledger:
      ledger === 'table'
        ? { kind: 'table', connectionString: inject('azurite'), storagePrefix: uniquePrefix(name) }
        : { kind: 'sqlite' },
    drainMs: 5_000,
    ...rest,
  });
}
