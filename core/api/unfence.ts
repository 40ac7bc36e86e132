import { decide } from '../arbiter/arbiter.ts';
import { powerOnHoldMs, powerOnTimeoutMs } from '../arbiter/state.ts';
import { finishPowerOn, unfence } from '../arbiter/unfence.ts';
import { powerOnNode } from '../engine/powerOn.ts';
import { errorMessage } from '../errors.ts';
import { own } from '../names.ts';
import { eventId } from '../notifications/events.ts';
import { unfenceBody } from '../protocol/api.ts';
import { ProblemError } from '../protocol/problems.ts';
import { readinessOf } from '../readiness/view.ts';
import { buildLevels } from '../worker/nodeLevels.ts';
import { authenticate } from './authenticate.ts';
import { json, parseJsonBody } from './responses.ts';
import type { ApiContext, ApiRequest, ApiResponse } from './types.ts';

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
  const options = body.powerOn ? { powerOnMs: powerOnHoldMs } : {};
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
    // A failed power-on still unfences (DESIGN fine points); the answer says what happened.
    await decide(ctx, cluster, (state, rc) => finishPowerOn(state, node, 'member', rc));
  }
  await emitUnfenced(ctx, cluster, node, outcome.previous, answer.powerOn);
  return json(200, answer);
}

async function powerOn(
  ctx: ApiContext,
  cluster: string,
  node: string,
): Promise<{ ok: boolean; detail: string }> {
  const clusterConfig = own(ctx.config.clusters, cluster);
  const config = clusterConfig ? own(clusterConfig.nodes, node) : undefined;
  if (!config) return { ok: false, detail: `${node} is not configured` };
  try {
    const { levels } = await buildLevels(config, ctx.drivers, ctx.clock);
    const attempt = await powerOnNode({
      levels,
      target: {
        cluster,
        node,
        incidentId: 'unfence',
        attemptId: `unfence.${node}.${ctx.clock.now()}`,
      },
      clock: ctx.clock,
      timeoutMs: powerOnTimeoutMs,
    });
    if (!attempt) return { ok: false, detail: 'no fence level of this node can power on' };
    return {
      ok: attempt.outcome === 'on',
      detail:
        attempt.outcome === 'on'
          ? `powered on by level ${attempt.level}`
          : `level ${attempt.level}: ${attempt.detail}`,
    };
  } catch (err) {
    return { ok: false, detail: errorMessage(err) };
  }
}

/** `node.unfenced`, after the unfence (and its power-on) took effect. */
async function emitUnfenced(
  ctx: ApiContext,
  cluster: string,
  node: string,
  previous: string,
  powerOn: unknown,
): Promise<void> {
  const config = own(ctx.config.clusters, cluster);
  const records = await ctx.readiness.devices(cluster);
  const readiness = config ? readinessOf(config, node, records).readiness : 'unchecked';
  const now = ctx.clock.now();
  const on = powerOn as { ok: boolean; detail: string } | undefined;
  await ctx.events
    .emit({
      id: eventId('node.unfenced', cluster, node, now),
      type: 'node.unfenced',
      cluster,
      time: new Date(now).toISOString(),
      data: {
        cluster,
        node,
        state: 'member',
        readiness,
        previousReadiness: readiness,
        detail: `unfenced (was ${previous})${on ? `; power on: ${on.ok ? 'ok' : 'failed'} (${on.detail})` : ''}`,
      },
    })
    .catch((err) =>
      ctx.log.error({ cluster, node, err: errorMessage(err) }, 'could not record an event'),
    );
}
