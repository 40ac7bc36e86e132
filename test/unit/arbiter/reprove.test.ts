import { describe, expect, it } from 'vitest';
import { claim, close } from '../../../core/arbiter/lifecycle.ts';
import { decideReport } from '../../../core/arbiter/report.ts';
import { type ClusterState, nodeState } from '../../../core/arbiter/state.ts';
import { cluster, context, empty } from './fixtures.ts';

/**
 * Hole 1 of the adversarial review (seen in a real Pacemaker cluster): a node fenced long ago
 * was powered on by hand and rejoined; the next report got `200 already fenced` and the
 * survivor failed over while the node ran. DESIGN rule 3 / invariant 9: `fenced` is re-proven.
 */
function fencedB(options: Record<string, unknown> = {}) {
  const ctx = context(cluster({ a: 0, b: 0, c: 0 }, options));
  let { state } = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
  state = claim(state, 'inc-1', 'w', 30_000, ctx).state;
  state = close(state, 'inc-1', { outcome: 'fenced', detail: 'verified off' }, ctx).state;
  return { ctx, state };
}

describe('rule 3: a fenced target is re-proven after 10 s', () => {
  it('answers 200 with the fencing incident within 10 s of the verified off', () => {
    // Prepare
    const { ctx, state } = fencedB();
    // Act
    const { outcome, effects } = decideReport(
      state,
      { reporter: 'c', target: 'b' },
      ctx.at(ctx.now + 10_000),
    );
    // Assess
    expect(outcome).toEqual({ kind: 'accepted', status: 200, incidentId: 'inc-1', joined: true });
    expect(effects.enqueue).toEqual([]);
  });

  it('opens a new incident (202, fencing) when the target was fenced more than 10 s ago', () => {
    // Prepare
    const { ctx, state } = fencedB();
    // Act
    const next = decideReport(state, { reporter: 'a', target: 'b' }, ctx.at(ctx.now + 10_001));
    // Assess
    expect(next.outcome).toEqual({
      kind: 'accepted',
      status: 202,
      incidentId: 'inc-2',
      joined: false,
    });
    expect(nodeState(next.state, 'b')).toBe('fencing');
    expect(next.effects.enqueue).toEqual([{ incidentId: 'inc-2', delayMs: 0 }]);
  });

  it('re-proves a fenced node whose verified-off time is not known (state written before it was kept)', () => {
    const ctx = context(cluster({ a: 0, b: 0, c: 0 }));
    const legacy: ClusterState = {
      nodes: { b: { state: 'fenced', incidentId: 'old' } },
      incidents: [],
    };
    expect(decideReport(legacy, { reporter: 'a', target: 'b' }, ctx).outcome).toMatchObject({
      kind: 'accepted',
      status: 202,
      joined: false,
    });
  });

  it('a re-proof the storm guard refuses leaves the node fenced, never a member', () => {
    // Prepare: c is being fenced, so a second fence breaks maxConcurrentFences 1.
    const { ctx, state } = fencedB({ minSurvivors: 0 });
    const later = ctx.at(ctx.now + 20_000);
    const busy = decideReport(state, { reporter: 'a', target: 'c' }, later).state;
    // Act
    const next = decideReport(busy, { reporter: 'a', target: 'b' }, later);
    // Assess
    expect(next.outcome).toMatchObject({ kind: 'storm-guard' });
    expect(next.state.nodes.b).toMatchObject({ state: 'fenced', incidentId: 'inc-1' });
  });

  it('a re-proof below quorum that expires leaves the node fenced', () => {
    const ctx = context(cluster({ a: 0, b: 0, c: 0 }, { quorum: 2, minSurvivors: 0 }));
    const state: ClusterState = {
      nodes: { b: { state: 'fenced', incidentId: 'old', at: ctx.now } },
      incidents: [],
    };
    const opened = decideReport(state, { reporter: 'a', target: 'b' }, ctx.at(ctx.now + 20_000));
    expect(nodeState(opened.state, 'b')).toBe('suspected');
    const expired = decideReport(
      opened.state,
      { reporter: 'c', target: 'a' },
      ctx.at(ctx.now + 61_000),
    );
    expect(expired.state.nodes.b).toMatchObject({ state: 'fenced', incidentId: 'old' });
  });

  it('while a re-proof runs the node stays disqualified as a reporter', () => {
    const { ctx, state } = fencedB();
    const opened = decideReport(state, { reporter: 'a', target: 'b' }, ctx.at(ctx.now + 20_000));
    expect(decideReport(opened.state, { reporter: 'b', target: 'a' }, ctx).outcome).toMatchObject({
      kind: 'refused',
      code: 'reporter-fenced',
    });
  });
});
