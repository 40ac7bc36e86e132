import { decide } from '../arbiter/arbiter.ts';
import { type ClusterState, nodeRecord } from '../arbiter/state.ts';
import { reviveFenced } from '../arbiter/unfence.ts';
import type { ClusterConfig } from '../config/schema.ts';
import { configuredDevices } from './deviceChecks.ts';
import type { ReadinessDeps } from './tick.ts';
import type { DeviceRecord } from './types.ts';

/**
 * A fenced node that readiness reads powered on was started outside Fencer (DESIGN "Node
 * side"): it becomes a member again, on the incident's record. Only the devices of the level
 * that verified the fence count — another level's device reading `on` may be a hung BMC that
 * never saw the power go — and only readings taken after the verified off, all of them `on`.
 */
export async function reviveReadOn(
  deps: ReadinessDeps,
  cluster: string,
  state: ClusterState,
  config: ClusterConfig,
  records: DeviceRecord[],
): Promise<Map<string, { incidentId: string; detail: string }>> {
  const revived = new Map<string, { incidentId: string; detail: string }>();
  const latest = new Map<string, DeviceRecord>();
  for (const r of records) {
    const key = `${r.node}/${r.level}/${r.index}/${r.fingerprint}`;
    if ((latest.get(key)?.checkedAt ?? -1) < r.checkedAt) latest.set(key, r);
  }
  const devices = configuredDevices(config);
  for (const node of Object.keys(config.nodes)) {
    const held = nodeRecord(state, node);
    if (held?.state !== 'fenced' || !held.incidentId || held.at === undefined) continue;
    const heldAt = held.at;
    const incidentId = held.incidentId;
    const incident = await deps.incidents.get(cluster, incidentId);
    const level = incident?.attempts.findLast((a) => a.outcome === 'off')?.level ?? 1;
    const readings = devices
      .filter((d) => d.node === node && d.level === level)
      .map((d) => latest.get(`${node}/${d.level}/${d.index}/${d.fingerprint}`));
    const on = readings.every((r) => r?.powerState === 'on' && r.checkedAt > heldAt);
    if (readings.length === 0 || !on) continue;
    const readAt = Math.min(...readings.map((r) => r?.checkedAt ?? 0));
    const { outcome } = await decide(deps, cluster, (current, ctx) =>
      reviveFenced(current, node, incidentId, readAt, ctx),
    );
    if (outcome !== 'member') continue;
    const at = new Date(readAt).toISOString();
    const names = readings.map((r) => r?.description).join(', ');
    const detail = `${names} read on: powered on outside Fencer; ${node} is a member again`;
    await deps.incidents.appendAttempt(cluster, incidentId, {
      level,
      driver: 'readiness',
      startedAt: at,
      endedAt: at,
      outcome: 'on',
      detail,
    });
    deps.log.warn({ cluster, node, incidentId }, detail);
    revived.set(node, { incidentId, detail });
  }
  return revived;
}
