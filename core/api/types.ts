import type { ArbiterDeps } from '../arbiter/arbiter.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { DriverCache } from '../drivers/driverCache.ts';
import type { RelayMailbox } from '../drivers/relayMailbox.ts';
import type { Ledger, ReplayLedger } from '../ledger/ledger.ts';
import type { Log } from '../log.ts';
import type { EventSink } from '../notifications/events.ts';
import type { ReadinessStore } from '../readiness/types.ts';
import type { IncidentWatch } from './incidentWatch.ts';

/** A host-agnostic HTTP request: the Functions adapter and the local host both build one. */
export interface ApiRequest {
  method: string;
  /** Path and query exactly as sent, starting at `/v1/` (the `/api` prefix removed). */
  pathWithQuery: string;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Uint8Array;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** Serialised as JSON (problem+json when `headers['content-type']` says so). */
  body?: unknown;
}

/** Everything the API handlers need; built by each host's composition root. */
export interface ApiContext extends ArbiterDeps {
  loaded: LoadedConfig;
  replay: ReplayLedger;
  /** Health, and the durability barrier every answer waits for. */
  ledger: Pick<Ledger, 'health' | 'durable'>;
  drivers: DriverCache;
  log: Log;
  version: string;
  /** Prefix of the routes in Location headers (`/api` for both hosts). */
  basePath: string;
  /** The one ledger watch per incident that `waitSeconds` GETs share. */
  incidentWatch: IncidentWatch;
  readiness: ReadinessStore;
  events: EventSink;
  /** Pull-mode relays' actions and answers (their poll and results routes). */
  relayMailbox: RelayMailbox;
}
