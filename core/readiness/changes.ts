import { nodeState } from '../arbiter/state.ts';
import type { ClusterConfig } from '../config/schema.ts';
import { eventId } from '../notifications/events.ts';
import type { ReadinessDeps } from './tick.ts';
import { readinessOf } from './view.ts';

/**
 * Compares every node's readiness (from the stored device results) with the last one noted,
 * stores changes, and sends `node.readiness` for each: on every change, the first result too
 * unless it is `ready`, and for a fenced node found powered on (`revived`) even if its
 * readiness did not change.
 */
export async function noteReadinessChanges(
  deps: ReadinessDeps,
  cluster: string,
  config: ClusterConfig,
  revived: ReadonlyMap<string, { incidentId: string; detail: string }>,
): Promise<void> {
  const [{ state }, records, noted] = await Promise.all([
    deps.clusters.read(cluster),
    deps.readiness.devices(cluster),
    deps.readiness.nodes(cluster),
  ]);
  const now = deps.clock.now();
  for (const node of Object.keys(config.nodes)) {
    const { readiness, detail } = readinessOf(config, node, records);
    const before = noted.find((n) => n.node === node);
    const previous = before?.readiness ?? 'unchecked';
    const changed = readiness !== previous;
    const worthSaying = changed && !(before === undefined && readiness === 'ready');
    const revival = revived.get(node);
    if (worthSaying || revival) {
      const id = revival
        ? eventId('node.revived', cluster, node, revival.incidentId)
        : eventId('node.readiness', cluster, node, previous, readiness, before?.since ?? 0);
      await deps.events.emit({
        id,
        type: 'node.readiness',
        cluster,
        time: new Date(now).toISOString(),
        data: {
          cluster,
          node,
          state: nodeState(state, node),
          readiness,
          previousReadiness: previous,
          detail: revival?.detail ?? detail,
        },
      });
    }
    // Stored after the event: a crash in between re-detects the change and sends the same id.
    if (changed) await deps.readiness.putNode(cluster, { node, readiness, since: now });
  }
}
