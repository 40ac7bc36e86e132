import type { Clock } from '../clock.ts';
import type { FencerConfig } from '../config/schema.ts';
import { LedgerError } from '../errors.ts';
import type { FenceQueue } from '../ledger/fenceQueue.ts';
import { newIncidentId } from '../ledger/ids.ts';
import type { ClusterLedger, IncidentLedger } from '../ledger/ledger.ts';
import type { Log } from '../log.ts';
import { own } from '../names.ts';
import type { EventSink } from '../notifications/events.ts';
import { emitIncidentEvent } from '../notifications/incidentEvents.ts';
import type { Incident } from '../protocol/api.ts';
import type { KeyedMutex } from './keyedMutex.ts';
import { type ClusterState, findIncident, pruneClosed, type RuleContext } from './state.ts';
import type { Effects } from './transition.ts';

export interface ArbiterDeps {
  config: FencerConfig;
  clusters: ClusterLedger;
  incidents: IncidentLedger;
  queue: FenceQueue;
  clock: Clock;
  /** Serialises this process's decisions per cluster (optional; the ETag alone is correct). */
  serial?: KeyedMutex;
  /** Where `incident.*` events go when a decision ends an incident (notifications). */
  events?: EventSink;
  /** The in-process signal that a decision changed an incident (long-polls answer at once). */
  onIncidentChanged?: (cluster: string, incidentId: string) => void;
  log?: Log;
}

/** A committed decision: its outcome, the state written, and the incidents as projected. */
export interface Decided<T> {
  outcome: T;
  state: ClusterState;
  incidents: ReadonlyMap<string, Incident>;
}

export type Rule<T> = (
  state: ClusterState,
  ctx: RuleContext,
) => { state: ClusterState; outcome: T; effects: Effects };

/** Give up after this many lost ETag races; the caller answers 503 and the client retries. */
const maxRaces = 100;

/**
 * Runs a pure rule under the cluster entity's ETag: read → decide → compare-and-set, again on
 * a lost race. Only after the commit are the incident entities projected and messages sent, so
 * nothing is announced that was not decided. A crash in between is repaired by the sweeper.
 */
export function decide<T>(deps: ArbiterDeps, cluster: string, rule: Rule<T>): Promise<Decided<T>> {
  const run = () => decideUnderEtag(deps, cluster, rule);
  return deps.serial ? deps.serial.run(cluster, run) : run();
}

async function decideUnderEtag<T>(
  deps: ArbiterDeps,
  cluster: string,
  rule: Rule<T>,
): Promise<Decided<T>> {
  const clusterConfig = own(deps.config.clusters, cluster);
  if (!clusterConfig)
    throw new LedgerError('unknown-cluster', `cluster ${cluster} is not configured`);
  for (let race = 0; race < maxRaces; race++) {
    const { state: current, etag } = await deps.clusters.read(cluster);
    const now = deps.clock.now();
    const ctx: RuleContext = { cluster: clusterConfig, now, newId: () => newIncidentId(now) };
    const decision = rule(current, ctx);
    const state = pruneClosed(decision.state, now);
    for (const id of decision.effects.touched) {
      const record = findIncident(state, id);
      if (record) record.rev += 1;
    }
    const unchanged = JSON.stringify(state) === JSON.stringify(current) && etag !== undefined;
    if (!unchanged && !(await deps.clusters.write(cluster, state, etag))) {
      // Lost the race: a short random pause keeps racers from colliding in lockstep.
      await deps.clock.sleep(Math.floor(Math.random() * Math.min(50, 2 + race * 5)));
      continue;
    }
    const incidents = await publish(deps, cluster, state, decision.effects);
    return { outcome: decision.outcome, state, incidents };
  }
  throw new LedgerError(
    'contention',
    `cluster ${cluster}: gave up after ${maxRaces} lost ETag races`,
    { retryable: true },
  );
}

async function publish(
  deps: ArbiterDeps,
  cluster: string,
  state: ClusterState,
  effects: Effects,
): Promise<Map<string, Incident>> {
  const projected = new Map<string, Incident>();
  await Promise.all(
    [...effects.touched].map(async (id) => {
      const record = findIncident(state, id);
      const reason = effects.reasons.get(id);
      const incident = record ? await deps.incidents.project(cluster, record, reason) : undefined;
      if (incident) projected.set(id, incident);
    }),
  );
  // Before the answer: a refused report is on record once its 409/429 is sent.
  for (const { incidentId, report } of effects.refusedReports) {
    const incident = await deps.incidents.appendRefusedReport(cluster, incidentId, report);
    if (incident) projected.set(incidentId, incident);
  }
  for (const id of effects.touched) deps.onIncidentChanged?.(cluster, id);
  for (const id of effects.touched) {
    const incident = projected.get(id);
    if (incident && deps.events) await emitIncidentEvent(deps.events, deps.log, incident);
  }
  for (const message of effects.enqueue) {
    await deps.queue.send({ cluster, incidentId: message.incidentId }, message.delayMs);
  }
  return projected;
}
