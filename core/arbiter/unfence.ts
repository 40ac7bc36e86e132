import { hasOwnName } from '../names.ts';
import type { Refusal } from '../protocol/api.ts';
import type { ClusterState, RuleContext } from './state.ts';
import { findIncident, nodeRecord } from './state.ts';
import { advance, type Effects, noEffects, refuse } from './transition.ts';

type Decision<T> = { state: ClusterState; outcome: T; effects: Effects };

export type UnfenceOutcome =
  | { kind: 'unfenced'; previous: string; incidentId?: string }
  /** Its fence is running, or an admin is powering it on right now. */
  | { kind: 'in-flight'; incidentId?: string; detail: string }
  | { kind: 'unknown-node' };

/**
 * Admin: a node back to `member`. Refused while its fence runs or another unfence powers it on;
 * a pending suspicion is dropped. With `powerOnMs` the node is not a member yet: it keeps its
 * state, marked `poweringOn` for at most that long, and reports about it are refused, so no fence
 * overlaps the power-on; `finishUnfence` makes it a member once the power-on attempt ended.
 */
export function unfence(
  current: ClusterState,
  node: string,
  ctx: RuleContext,
  options: { powerOnMs?: number } = {},
): Decision<UnfenceOutcome> {
  const state = structuredClone(current);
  const fx = noEffects();
  advance(state, ctx, fx);
  if (!hasOwnName(ctx.cluster.nodes, node))
    return { state, outcome: { kind: 'unknown-node' }, effects: fx };
  const held = nodeRecord(state, node);
  const record = held?.incidentId ? findIncident(state, held.incidentId) : undefined;
  if (record?.state === 'fencing') {
    const detail = `incident ${record.id} is still fencing ${node}`;
    return { state, outcome: { kind: 'in-flight', incidentId: record.id, detail }, effects: fx };
  }
  if (held?.poweringOn && held.poweringOn.until > ctx.now) {
    const detail = `an admin is powering ${node} on`;
    return { state, outcome: { kind: 'in-flight', detail }, effects: fx };
  }
  if (record?.state === 'pending') {
    const refusal: Refusal = {
      code: 'unfenced',
      detail: `an admin unfenced ${node} while it was suspected`,
    };
    refuse(state, record, refusal, ctx, fx);
  }
  const before = nodeRecord(state, node);
  if (options.powerOnMs !== undefined) {
    state.nodes[node] = {
      state: before?.state ?? 'member',
      ...(before?.incidentId ? { incidentId: before.incidentId } : {}),
      ...(before?.at !== undefined ? { at: before.at } : {}),
      poweringOn: { until: ctx.now + options.powerOnMs },
    };
  } else delete state.nodes[node];
  advance(state, ctx, fx);
  return {
    state,
    outcome: {
      kind: 'unfenced',
      previous: held?.state ?? 'member',
      ...(held?.incidentId ? { incidentId: held.incidentId } : {}),
    },
    effects: fx,
  };
}

/**
 * A power-on ended: the node becomes `member`, or stays as it is without the hold (`fenced` after
 * a reboot whose power-on failed). An unfence makes it a member whatever the power-on did.
 * `superseded` when the hold is gone (it lapsed and something else happened since).
 */
export function finishPowerOn(
  current: ClusterState,
  node: string,
  becomes: 'member' | 'unchanged',
  ctx: RuleContext,
): Decision<'member' | 'unchanged' | 'superseded'> {
  const state = structuredClone(current);
  const fx = noEffects();
  advance(state, ctx, fx);
  const held = nodeRecord(state, node);
  if (!held?.poweringOn) return { state, outcome: 'superseded', effects: fx };
  if (becomes === 'member') delete state.nodes[node];
  else delete held.poweringOn;
  advance(state, ctx, fx);
  return { state, outcome: becomes, effects: fx };
}

/** True while an admin's power-on of the node runs: a report about it must wait. */
export function isBeingPoweredOn(state: ClusterState, node: string, now: number): boolean {
  const until = nodeRecord(state, node)?.poweringOn?.until;
  return until !== undefined && until > now;
}

/**
 * A readiness check read a `fenced` node's power `on` (someone powered it on outside Fencer,
 * as LifeKeeper's procedure tells them to): it is a `member` again. Only a reading taken after
 * the node was verified off counts, and never during a power-on Fencer itself runs.
 */
export function reviveFenced(
  current: ClusterState,
  node: string,
  incidentId: string,
  readAt: number,
  ctx: RuleContext,
): Decision<'member' | 'unchanged'> {
  const state = structuredClone(current);
  const fx = noEffects();
  advance(state, ctx, fx);
  const held = nodeRecord(state, node);
  const stale = held?.at === undefined || held.at >= readAt;
  if (held?.state !== 'fenced' || held.incidentId !== incidentId || held.poweringOn || stale)
    return { state, outcome: 'unchanged', effects: fx };
  delete state.nodes[node];
  advance(state, ctx, fx);
  return { state, outcome: 'member', effects: fx };
}
