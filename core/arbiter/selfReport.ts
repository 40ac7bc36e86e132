import type { ClusterState, RuleContext } from './state.ts';
import { nodeRecord } from './state.ts';
import { type Effects, noteRefusal } from './transition.ts';

/** One refused self-report incident per node per this long; later ones join it. */
const joinWithinMs = 60 * 60 * 1000;

/**
 * A self-report is refused, but on record (DESIGN "Node side"): on the node's own incident if
 * it has one, otherwise on a `refused` incident about it, so a confused hook is visible in the
 * node's history. Repeats join that incident rather than filling the ledger.
 */
export function recordSelfReport(
  state: ClusterState,
  node: string,
  ctx: RuleContext,
  fx: Effects,
): void {
  const held = nodeRecord(state, node)?.incidentId;
  const recent = state.incidents.find(
    (r) =>
      r.target === node &&
      r.state === 'refused' &&
      r.refusal?.code === 'self-report' &&
      ctx.now - r.createdAt < joinWithinMs,
  );
  const incidentId = held ?? recent?.id;
  if (incidentId) {
    noteRefusal(fx, incidentId, node, 'self-report', ctx);
    return;
  }
  const id = ctx.newId();
  state.incidents.push({
    id,
    target: node,
    state: 'refused',
    reporters: [node],
    createdAt: ctx.now,
    updatedAt: ctx.now,
    closedAt: ctx.now,
    rev: 0,
    refusal: { code: 'self-report', detail: `${node} reported itself` },
  });
  fx.touched.add(id);
  noteRefusal(fx, id, node, 'self-report', ctx);
}
