import { decide } from '../arbiter/arbiter.ts';
import { finishUnfence, unfence } from '../arbiter/unfence.ts';
import { timeoutSignal } from '../clock.ts';
import { createDriver } from '../drivers/registry.ts';
import { errorMessage } from '../errors.ts';
import { own } from '../names.ts';
import { unfenceBody } from '../protocol/api.ts';
import { ProblemError } from '../protocol/problems.ts';
import { authenticate } from './authenticate.ts';
import { json, parseJsonBody } from './responses.ts';
import type { ApiContext, ApiRequest, ApiResponse } from './types.ts';

const powerOnTimeoutMs = 60_000;

/** POST /v1/clusters/{cluster}/nodes/{node}/unfence (admin): the node back to `member`. */
export async function postUnfence(
  ctx: ApiContext,
  request: ApiRequest,
  cluster: string,
  node: string,
): Promise<ApiResponse> {
  const principal = await authenticate(ctx, request, cluster, 'admin');
  const body = parseJsonBody(request.body, unfenceBody, true);
  // With a power-on the node stays out of reach of new fences until the attempt has ended.
  const options = body.powerOn ? { powerOnMs: powerOnTimeoutMs + 5_000 } : {};
  const { outcome } = await decide(ctx, cluster, (state, rc) => unfence(state, node, rc, options));
  if (outcome.kind === 'unknown-node')
    throw new ProblemError('not-found', `${node} is not a node of cluster ${cluster}`);
  if (outcome.kind === 'in-flight') {
    throw new ProblemError(
      'in-flight',
      outcome.detail,
      outcome.incidentId ? { incidentId: outcome.incidentId } : {},
    );
  }
  ctx.log.info(
    {
      cluster,
      node,
      admin: principal.kind === 'admin' ? principal.name : undefined,
      previous: outcome.previous,
    },
    'node unfenced',
  );
  const answer: Record<string, unknown> = {
    cluster,
    node,
    state: 'member',
    previous: outcome.previous,
  };
  if (body.powerOn) {
    // The unfence is on record before the node is powered on.
    await ctx.ledger.durable();
    answer.powerOn = await powerOn(ctx, cluster, node);
    await decide(ctx, cluster, (state, rc) => finishUnfence(state, node, rc));
  }
  return json(200, answer);
}

/**
 * Powers on through the first level whose every device can. A failure does not undo the
 * unfence (the node is a member again either way); the answer says what happened.
 */
async function powerOn(
  ctx: ApiContext,
  cluster: string,
  node: string,
): Promise<{ ok: boolean; detail: string }> {
  const clusterConfig = own(ctx.config.clusters, cluster);
  const levels = (clusterConfig && own(clusterConfig.nodes, node)?.levels) ?? [];
  for (const [index, devices] of levels.entries()) {
    try {
      const drivers = await Promise.all(devices.map((device) => createDriver(device, ctx.drivers)));
      if (!drivers.every((d) => d.powerOn)) continue;
      const timer = timeoutSignal(ctx.clock, powerOnTimeoutMs);
      try {
        const target = {
          cluster,
          node,
          incidentId: 'unfence',
          attemptId: `unfence.${node}.${ctx.clock.now()}`,
        };
        await Promise.all(drivers.map((d) => d.powerOn?.(target, timer.signal)));
      } finally {
        timer.cancel();
      }
      return { ok: true, detail: `powered on by level ${index + 1}` };
    } catch (err) {
      return { ok: false, detail: `level ${index + 1}: ${errorMessage(err)}` };
    }
  }
  return { ok: false, detail: 'no fence level of this node can power on' };
}
