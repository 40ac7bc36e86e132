import { hasOwnName, own } from '../names.ts';
import type { FenceAction } from '../protocol/api.ts';
import { recordSelfReport } from './selfReport.ts';
import type { ClusterState, IncidentRecord, RuleContext } from './state.ts';
import { fencedFreshMs, findIncident, isDisqualified, nodeRecord, nodeState } from './state.ts';
import {
  advance,
  type Effects,
  nextCheckMs,
  noEffects,
  noteRefusal,
  refuse,
} from './transition.ts';
import { isBeingPoweredOn } from './unfence.ts';

export interface Report {
  reporter: string;
  target: string;
  reason?: string;
  /** Default `off`. */
  action?: FenceAction;
}

/**
 * What to answer a report. `refused` carries no incident (nothing was opened); `storm-guard`
 * carries the incident recorded as refused; `accepted` is a new or joined incident, or (200) the
 * incident that already fenced the target.
 */
export type ReportOutcome =
  | {
      kind: 'refused';
      code: 'forbidden' | 'self-report' | 'reporter-fenced' | 'in-flight';
      detail: string;
    }
  | { kind: 'accepted'; status: 200 | 202; incidentId: string; joined: boolean }
  | { kind: 'storm-guard'; incidentId: string; detail: string };

/** DESIGN.md arbiter rules 1-6, over a copy of the state. The caller commits it under the ETag. */
export function decideReport(
  current: ClusterState,
  report: Report,
  ctx: RuleContext,
): { state: ClusterState; outcome: ReportOutcome; effects: Effects } {
  const state = structuredClone(current);
  const fx = noEffects();
  advance(state, ctx, fx);
  const outcome = decide(state, report, ctx, fx);
  return { state, outcome, effects: fx };
}

function decide(
  state: ClusterState,
  { reporter, target, reason, action }: Report,
  ctx: RuleContext,
  fx: Effects,
): ReportOutcome {
  const nodes = ctx.cluster.nodes;
  // Rule 1: only members of this cluster, and nobody accuses itself (unless allowed).
  if (!hasOwnName(nodes, target))
    return {
      kind: 'refused',
      code: 'forbidden',
      detail: `${target} is not a node of this cluster`,
    };
  if (reporter === target && !ctx.cluster.allowSelfReport) {
    recordSelfReport(state, reporter, ctx, fx);
    return { kind: 'refused', code: 'self-report', detail: 'a node cannot report itself' };
  }
  // Rule 2: a node being fenced (or fenced) lost the split brain; its word no longer counts.
  if (isDisqualified(state, reporter)) {
    const lostTo = nodeRecord(state, reporter)?.incidentId;
    if (lostTo) noteRefusal(fx, lostTo, reporter, 'reporter-fenced', ctx);
    return {
      kind: 'refused',
      code: 'reporter-fenced',
      detail: `${reporter} is ${nodeState(state, reporter)}; its reports are not acted on`,
    };
  }
  // Settle: the target accused the reporter moments ago. Keep the higher priority (ties: first report).
  const counter = state.incidents.find(
    (r) =>
      r.state === 'pending' &&
      r.target === reporter &&
      r.reporters.includes(target) &&
      (r.settleUntil ?? 0) > ctx.now,
  );
  if (counter) {
    const priorityOf = (node: string) => own(nodes, node)?.priority ?? 0;
    const reporterWins = priorityOf(reporter) > priorityOf(target);
    if (!reporterWins) {
      noteRefusal(fx, counter.id, reporter, 'reporter-fenced', ctx);
      return {
        kind: 'refused',
        code: 'reporter-fenced',
        detail: `${target} accused ${reporter} first and has priority ${priorityOf(target)}`,
      };
    }
    counter.reporters = counter.reporters.filter((r) => r !== target);
    counter.updatedAt = ctx.now;
    fx.touched.add(counter.id);
    noteRefusal(fx, counter.id, target, 'settle-lost', ctx);
    if (counter.reporters.length === 0) {
      refuse(
        state,
        counter,
        { code: 'settle-lost', detail: `${reporter} has a higher priority than ${target}` },
        ctx,
        fx,
      );
    }
  }
  // An admin is powering the target on (unfence): no fence may overlap that.
  if (isBeingPoweredOn(state, target, ctx.now)) {
    return { kind: 'refused', code: 'in-flight', detail: `an admin is powering ${target} on` };
  }
  // Rule 3: fenced moments ago → the incident that fenced it; fenced longer ago → a new
  // incident that reads the power first (someone may have powered it on by hand);
  // suspected or fencing → join.
  const held = nodeRecord(state, target);
  const existing = held?.incidentId ? findIncident(state, held.incidentId) : undefined;
  const fresh = held?.at !== undefined && ctx.now - held.at <= fencedFreshMs;
  if (held?.state === 'fenced' && held.incidentId && fresh) {
    return { kind: 'accepted', status: 200, incidentId: held.incidentId, joined: true };
  }
  if (existing && (existing.state === 'pending' || existing.state === 'fencing')) {
    if (!existing.reporters.includes(reporter)) existing.reporters.push(reporter);
    // Someone needs the target to stay off: the more careful action wins.
    if (existing.action === 'reboot' && action !== 'reboot') delete existing.action;
    existing.updatedAt = ctx.now;
    fx.touched.add(existing.id);
    return settle(state, existing, ctx, fx, true);
  }
  // Rule 4: a new incident (also after a `failed` one: a new attempt).
  const record: IncidentRecord = {
    id: ctx.newId(),
    target,
    state: 'pending',
    reporters: [reporter],
    ...(action === 'reboot' ? { action } : {}),
    createdAt: ctx.now,
    updatedAt: ctx.now,
    rev: 0,
    ...(ctx.cluster.settleMs > 0 ? { settleUntil: ctx.now + ctx.cluster.settleMs } : {}),
    ...(held?.state === 'fenced' ? { reproves: { ...held } } : {}),
  };
  state.incidents.push(record);
  state.nodes[target] = { state: 'suspected', incidentId: record.id };
  fx.touched.add(record.id);
  if (reason) fx.reasons.set(record.id, reason);
  return settle(state, record, ctx, fx, false);
}

/** Rules 5-6 for a new or joined incident: promote now if due; otherwise look again later. */
function settle(
  state: ClusterState,
  record: IncidentRecord,
  ctx: RuleContext,
  fx: Effects,
  joined: boolean,
): ReportOutcome {
  const before = record.state;
  advance(state, ctx, fx);
  if (
    record.state === 'refused' &&
    before === 'pending' &&
    record.refusal?.code === 'storm-guard'
  ) {
    for (const reporter of record.reporters)
      noteRefusal(fx, record.id, reporter, 'storm-guard', ctx);
    return { kind: 'storm-guard', incidentId: record.id, detail: record.refusal.detail };
  }
  if (record.state === 'pending')
    fx.enqueue.push({ incidentId: record.id, delayMs: nextCheckMs(record, ctx) });
  return { kind: 'accepted', status: 202, incidentId: record.id, joined };
}
