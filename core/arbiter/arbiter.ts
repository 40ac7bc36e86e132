import type { Clock } from '../clock.ts';
import type { FencerConfig } from '../config/schema.ts';
import { LedgerError } from '../errors.ts';
import type { ClusterStore } from '../ledger/clusterStore.ts';
import type { FenceQueue } from '../ledger/fenceQueue.ts';
import { newIncidentId } from '../ledger/ids.ts';
import type { IncidentStore } from '../ledger/incidentStore.ts';
import { type ClusterState, findIncident, pruneClosed, type RuleContext } from './state.ts';
import type { Effects } from './transition.ts';

export interface ArbiterDeps {
  config: FencerConfig;
  clusters: ClusterStore;
  incidents: IncidentStore;
  queue: FenceQueue;
  clock: Clock;
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
export async function decide<T>(
  deps: ArbiterDeps,
  cluster: string,
  rule: Rule<T>,
): Promise<{ outcome: T; state: ClusterState }> {
  const clusterConfig = deps.config.clusters[cluster];
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
    await publish(deps, cluster, state, decision.effects);
    return { outcome: decision.outcome, state };
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
): Promise<void> {
  await Promise.all(
    [...effects.touched].map((id) => {
      const record = findIncident(state, id);
      return record ? deps.incidents.project(cluster, record) : undefined;
    }),
  );
  for (const message of effects.enqueue) {
    await deps.queue.send({ cluster, incidentId: message.incidentId }, message.delayMs);
  }
}
