import { findIncident, nodeRecord, nodeState } from '../arbiter/state.ts';
import { toIncident } from '../ledger/incidentStore.ts';
import { own } from '../names.ts';
import type { ClusterView } from '../protocol/api.ts';
import { ProblemError } from '../protocol/problems.ts';
import { readinessOf, readinessView } from '../readiness/view.ts';
import { authenticate, authenticateReader } from './authenticate.ts';
import { incidentView } from './incidentView.ts';
import { json } from './responses.ts';
import type { ApiContext, ApiRequest, ApiResponse } from './types.ts';

/** GET /v1/clusters/{cluster}/incidents/{id}?waitSeconds=N (returns early once terminal). */
export async function getIncident(
  ctx: ApiContext,
  request: ApiRequest,
  cluster: string,
  id: string,
  query: URLSearchParams,
): Promise<ApiResponse> {
  await authenticate(ctx, request, cluster, 'read');
  const wait = intParam(query, 'waitSeconds', 0, 120) ?? 0;
  const incident =
    wait === 0
      ? await incidentView(ctx, cluster, id)
      : await ctx.incidentWatch.wait(cluster, id, ctx.clock.now() + wait * 1000);
  if (!incident)
    throw new ProblemError('not-found', `incident ${id} not found in cluster ${cluster}`);
  return json(200, incident);
}

/** GET /v1/clusters/{cluster}: every configured node with its state. */
export async function getCluster(
  ctx: ApiContext,
  request: ApiRequest,
  cluster: string,
): Promise<ApiResponse> {
  await authenticate(ctx, request, cluster, 'read');
  return json(200, await clusterView(ctx, cluster));
}

/** GET /v1/clusters (viewer or admin): every cluster as `GET /v1/clusters/{cluster}` shows it. */
export async function listClusters(ctx: ApiContext, request: ApiRequest): Promise<ApiResponse> {
  await authenticateReader(ctx, request);
  const names = Object.keys(ctx.config.clusters);
  return json(200, { clusters: await Promise.all(names.map((c) => clusterView(ctx, c))) });
}

async function clusterView(ctx: ApiContext, cluster: string): Promise<ClusterView> {
  const config = own(ctx.config.clusters, cluster);
  const [{ state }, records] = await Promise.all([
    ctx.clusters.read(cluster),
    ctx.readiness.devices(cluster),
  ]);
  const nodes = Object.keys(config?.nodes ?? {}).map((name) => {
    const incidentId = nodeRecord(state, name)?.incidentId;
    const readiness = config ? readinessOf(config, name, records).readiness : 'unchecked';
    return {
      name,
      state: nodeState(state, name),
      readiness,
      ...(incidentId ? { incidentId } : {}),
    };
  });
  return { cluster, nodes };
}

/** GET /v1/clusters/{cluster}/readiness: every node's readiness, per level and device. */
export async function getReadiness(
  ctx: ApiContext,
  request: ApiRequest,
  cluster: string,
): Promise<ApiResponse> {
  await authenticate(ctx, request, cluster, 'read');
  const config = own(ctx.config.clusters, cluster);
  if (!config) throw new ProblemError('unknown-cluster', `cluster ${cluster} is not configured`);
  return json(200, readinessView(cluster, config, await ctx.readiness.devices(cluster)));
}

/** GET /v1/clusters/{cluster}/incidents?limit=N, newest first. */
export async function listIncidents(
  ctx: ApiContext,
  request: ApiRequest,
  cluster: string,
  query: URLSearchParams,
): Promise<ApiResponse> {
  await authenticate(ctx, request, cluster, 'read');
  const limit = intParam(query, 'limit', 1, 200) ?? 20;
  const stored = await ctx.incidents.list(cluster, limit);
  // The cluster entity is the truth for records it still holds (a projection may lag a moment).
  const { state } = await ctx.clusters.read(cluster);
  const incidents = stored.map((incident) => {
    const record = findIncident(state, incident.incidentId);
    return record ? toIncident(cluster, record, incident) : incident;
  });
  return json(200, { incidents });
}

export function intParam(
  query: URLSearchParams,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ProblemError('invalid-request', `${name} must be an integer from ${min} to ${max}`);
  }
  return Number(raw);
}
