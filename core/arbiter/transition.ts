import type { Refusal, RefusedReport } from '../protocol/api.ts';
import type { ClusterState, IncidentRecord, RuleContext } from './state.ts';
import {
  findIncident,
  isDisqualified,
  isOpen,
  nodeRecord,
  nodeState,
  openIncidents,
} from './state.ts';

/**
 * What a decision changed besides the state: projections to write, fence messages to send,
 * and what goes to the incident entities only (reasons of new incidents, refused reports).
 */
export interface Effects {
  touched: Set<string>;
  enqueue: { incidentId: string; delayMs: number }[];
  reasons: Map<string, string>;
  refusedReports: { incidentId: string; report: RefusedReport }[];
}

export const noEffects = (): Effects => ({
  touched: new Set(),
  enqueue: [],
  reasons: new Map(),
  refusedReports: [],
});

/** Keeps a refused report on the incident it lost to. */
export function noteRefusal(
  fx: Effects,
  incidentId: string,
  reporter: string,
  code: RefusedReport['code'],
  ctx: RuleContext,
): void {
  fx.refusedReports.push({
    incidentId,
    report: { reporter, at: new Date(ctx.now).toISOString(), code },
  });
}

/**
 * Ends an open incident as `refused`; the target goes back to what it was before this incident
 * held it: `member`, or `fenced` for a refused re-proof.
 */
export function refuse(
  state: ClusterState,
  record: IncidentRecord,
  refusal: Refusal,
  ctx: RuleContext,
  fx: Effects,
): void {
  record.state = 'refused';
  record.refusal = refusal;
  record.closedAt = ctx.now;
  record.updatedAt = ctx.now;
  delete record.lease;
  const node = nodeRecord(state, record.target);
  if (node?.incidentId === record.id && (node.state === 'suspected' || node.state === 'fencing')) {
    if (record.reproves) state.nodes[record.target] = { ...record.reproves };
    else delete state.nodes[record.target];
  }
  fx.touched.add(record.id);
}

/** Reporters whose word still counts: not fencing, fenced or failed themselves. */
export const votes = (state: ClusterState, record: IncidentRecord): number =>
  record.reporters.filter((r) => !isDisqualified(state, r)).length;

/**
 * Time-driven transitions of every pending incident: expire below quorum after the quorum
 * window; promote to `fencing` once quorum is reached and the settle time passed, unless the
 * storm guard refuses. Run inside every decision, so the state is never stale.
 */
export function advance(state: ClusterState, ctx: RuleContext, fx: Effects): void {
  const pending = state.incidents
    .filter((r) => r.state === 'pending')
    .sort((a, b) => a.createdAt - b.createdAt);
  for (const record of pending) {
    const held = nodeRecord(state, record.target);
    if (held && held.incidentId !== record.id && held.state !== 'suspected') {
      // Its target is already being fenced by another incident (cannot normally happen: joins).
      refuse(
        state,
        record,
        {
          code: 'superseded',
          detail: `${record.target} is already ${nodeState(state, record.target)}`,
        },
        ctx,
        fx,
      );
      continue;
    }
    const enough = votes(state, record) >= ctx.cluster.quorum;
    if (!enough) {
      if (ctx.now >= record.createdAt + ctx.cluster.quorumWindowSeconds * 1000) {
        refuse(
          state,
          record,
          {
            code: 'quorum-not-reached',
            detail: `${votes(state, record)} of ${ctx.cluster.quorum} reporters within ${ctx.cluster.quorumWindowSeconds} s`,
          },
          ctx,
          fx,
        );
      }
      continue;
    }
    if (record.settleUntil !== undefined && ctx.now < record.settleUntil) continue;
    promote(state, record, ctx, fx);
  }
}

/** pending → fencing, guarded by maxConcurrentFences and minSurvivors. */
function promote(state: ClusterState, record: IncidentRecord, ctx: RuleContext, fx: Effects): void {
  const inFlight = openIncidents(state).filter((r) => r.state === 'fencing').length;
  if (inFlight >= ctx.cluster.maxConcurrentFences) {
    refuse(
      state,
      record,
      {
        code: 'storm-guard',
        detail: `${inFlight} fence(s) in flight; maxConcurrentFences is ${ctx.cluster.maxConcurrentFences}`,
      },
      ctx,
      fx,
    );
    return;
  }
  const survivors = Object.keys(ctx.cluster.nodes).filter(
    (n) => n !== record.target && nodeState(state, n) === 'member',
  );
  if (survivors.length < ctx.cluster.minSurvivors) {
    refuse(
      state,
      record,
      {
        code: 'storm-guard',
        detail: `fencing ${record.target} would leave ${survivors.length} member(s); minSurvivors is ${ctx.cluster.minSurvivors}`,
      },
      ctx,
      fx,
    );
    return;
  }
  record.state = 'fencing';
  record.fencingAt = ctx.now;
  record.updatedAt = ctx.now;
  state.nodes[record.target] = { state: 'fencing', incidentId: record.id };
  fx.touched.add(record.id);
  fx.enqueue.push({ incidentId: record.id, delayMs: 0 });
}

/** When a pending incident should be looked at again (settle end or quorum expiry). */
export function nextCheckMs(record: IncidentRecord, ctx: RuleContext): number {
  const expiry = record.createdAt + ctx.cluster.quorumWindowSeconds * 1000;
  const due =
    record.settleUntil !== undefined && record.settleUntil > ctx.now ? record.settleUntil : expiry;
  return Math.max(0, due - ctx.now);
}

export function requireOpen(state: ClusterState, id: string): IncidentRecord | undefined {
  const record = findIncident(state, id);
  return record && isOpen(record) ? record : undefined;
}
