import { findIncident } from '../arbiter/state.ts';
import { incidentIdPattern } from '../ledger/ids.ts';
import { toIncident } from '../ledger/incidentStore.ts';
import type { Incident } from '../protocol/api.ts';
import type { ApiContext } from './types.ts';

/**
 * The incident as the API shows it: the cluster entity's record (the truth while it is there)
 * with the attempts of the incident entity; older incidents come from the entity alone.
 */
export async function incidentView(
  ctx: ApiContext,
  cluster: string,
  id: string,
): Promise<Incident | undefined> {
  if (!incidentIdPattern.test(id)) return undefined;
  const [{ state }, stored] = await Promise.all([
    ctx.clusters.read(cluster),
    ctx.incidents.get(cluster, id),
  ]);
  const record = findIncident(state, id);
  if (record) return toIncident(cluster, record, stored);
  return stored;
}

export function incidentLocation(ctx: ApiContext, cluster: string, id: string): string {
  return `${ctx.basePath}/v1/clusters/${encodeURIComponent(cluster)}/incidents/${encodeURIComponent(id)}`;
}
