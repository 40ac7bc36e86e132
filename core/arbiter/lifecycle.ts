import type { ClusterState, IncidentRecord, RuleContext } from './state.ts';
import { findIncident, powerOnHoldMs } from './state.ts';
import { advance, type Effects, nextCheckMs, noEffects, refuse } from './transition.ts';

type Decision<T> = { state: ClusterState; outcome: T; effects: Effects };

function start(current: ClusterState, ctx: RuleContext): { state: ClusterState; fx: Effects } {
  const state = structuredClone(current);
  const fx = noEffects();
  advance(state, ctx, fx);
  return { state, fx };
}

export type ClaimOutcome =
  | { kind: 'run'; record: IncidentRecord }
  | { kind: 'later'; delayMs: number }
  | { kind: 'busy'; owner: string; until: number }
  | { kind: 'done'; state: IncidentRecord['state'] | 'unknown' };

/**
 * A worker asks to run the fence of an incident. It gets a lease unless another live worker
 * holds one; an expired lease means that worker died, and the fence is taken over.
 */
export function claim(
  current: ClusterState,
  id: string,
  owner: string,
  leaseMs: number,
  ctx: RuleContext,
): Decision<ClaimOutcome> {
  const { state, fx } = start(current, ctx);
  const record = findIncident(state, id);
  if (!record) return { state, outcome: { kind: 'done', state: 'unknown' }, effects: fx };
  if (record.state === 'pending')
    return { state, outcome: { kind: 'later', delayMs: nextCheckMs(record, ctx) }, effects: fx };
  if (record.state !== 'fencing')
    return { state, outcome: { kind: 'done', state: record.state }, effects: fx };
  if (record.lease && record.lease.owner !== owner && record.lease.until > ctx.now) {
    return { state, outcome: { kind: 'busy', ...record.lease }, effects: fx };
  }
  record.lease = { owner, until: ctx.now + leaseMs };
  // The enqueue from promote() already happened (or this is that message): do not send another.
  fx.enqueue = fx.enqueue.filter((m) => m.incidentId !== id);
  return { state, outcome: { kind: 'run', record: structuredClone(record) }, effects: fx };
}

/** Extends a lease; `false` when it was lost (taken over after expiry, or the incident ended). */
export function renew(
  current: ClusterState,
  id: string,
  owner: string,
  leaseMs: number,
  ctx: RuleContext,
): Decision<boolean> {
  const { state, fx } = start(current, ctx);
  const record = findIncident(state, id);
  if (record?.state !== 'fencing' || record.lease?.owner !== owner)
    return { state, outcome: false, effects: fx };
  record.lease.until = ctx.now + leaseMs;
  return { state, outcome: true, effects: fx };
}

/**
 * Ends a fencing incident with the engine's verdict. `fenced` only after a verified power-off,
 * which is the engine's contract; the target then stays `fenced` until an admin unfences it.
 */
export function close(
  current: ClusterState,
  id: string,
  verdict: { outcome: 'fenced' | 'failed'; detail: string },
  ctx: RuleContext,
): Decision<IncidentRecord | undefined> {
  const { state, fx } = start(current, ctx);
  const record = findIncident(state, id);
  if (record?.state !== 'fencing') return { state, outcome: record, effects: fx };
  record.state = verdict.outcome;
  record.closedAt = ctx.now;
  record.updatedAt = ctx.now;
  delete record.lease;
  if (verdict.outcome === 'failed')
    record.refusal = { code: 'fence-failed', detail: verdict.detail };
  state.nodes[record.target] = {
    state: verdict.outcome,
    incidentId: record.id,
    at: ctx.now,
    // A reboot powers the target on next; no new fence may overlap that.
    ...(verdict.outcome === 'fenced' && record.action === 'reboot'
      ? { poweringOn: { until: ctx.now + powerOnHoldMs } }
      : {}),
  };
  fx.touched.add(record.id);
  // Pending incidents may have waited for a fence slot or a survivor count; look again.
  advance(state, ctx, fx);
  return { state, outcome: structuredClone(record), effects: fx };
}

/** The worker gave up on delivering this message (poison): the incident ends `failed`. */
export function failPoisoned(
  current: ClusterState,
  id: string,
  ctx: RuleContext,
): Decision<IncidentRecord | undefined> {
  // Keep what start()'s advance() did (promotions, expiries): dropping its effects lost their
  // fence messages and left their projections behind for good (no revision bump).
  const { state, fx } = start(current, ctx);
  const record = findIncident(state, id);
  if (record?.state === 'pending') {
    refuse(
      state,
      record,
      { code: 'poisoned', detail: 'the fence message could not be processed' },
      ctx,
      fx,
    );
    return { state, outcome: structuredClone(record), effects: fx };
  }
  const closed = close(
    state,
    id,
    { outcome: 'failed', detail: 'the fence message could not be processed (poison queue)' },
    ctx,
  );
  for (const touched of fx.touched) closed.effects.touched.add(touched);
  closed.effects.enqueue.unshift(...fx.enqueue);
  return closed;
}
