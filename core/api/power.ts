import { own } from '../names.ts';
import { ProblemError } from '../protocol/problems.ts';
import { readNodePower } from '../readiness/powerRead.ts';
import { authenticate } from './authenticate.ts';
import { intParam } from './reads.ts';
import { json } from './responses.ts';
import type { ApiContext, ApiRequest, ApiResponse } from './types.ts';

/** How long a power read may take when the caller does not say (`?timeoutSeconds=1..60`). */
const defaultTimeoutSeconds = 20;

/**
 * GET /v1/clusters/{cluster}/nodes/{node}/power?timeoutSeconds=N: the node's power read now
 * through its levels (the readiness probe: nothing can be powered on or off from here), for
 * fence_fencer's `status`. Changes nothing, stores nothing: a fenced node read on stays fenced
 * here (the readiness check is what revives it). Answered within `timeoutSeconds`.
 */
export async function getNodePower(
  ctx: ApiContext,
  request: ApiRequest,
  cluster: string,
  node: string,
  query: URLSearchParams,
): Promise<ApiResponse> {
  await authenticate(ctx, request, cluster, 'read');
  const config = own(ctx.config.clusters, cluster);
  const nodeConfig = config ? own(config.nodes, node) : undefined;
  if (!nodeConfig)
    throw new ProblemError('not-found', `${node} is not a node of cluster ${cluster}`);
  const timeoutSeconds = intParam(query, 'timeoutSeconds', 1, 60) ?? defaultTimeoutSeconds;
  const deadline = ctx.clock.now() + timeoutSeconds * 1000;
  return json(200, await readNodePower(ctx, cluster, node, nodeConfig.levels, deadline));
}
