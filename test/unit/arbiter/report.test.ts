import { describe, expect, it } from 'vitest';
import { decideReport } from '../../../core/arbiter/report.ts';
import { type ClusterState, nodeState } from '../../../core/arbiter/state.ts';
import { cluster, context, empty } from './fixtures.ts';

const two = cluster({ a: 1, b: 0 });
const three = cluster({ a: 0, b: 0, c: 0 });

function report(state: ClusterState, reporter: string, target: string, ctx = context(three)) {
  return decideReport(state, { reporter, target }, ctx);
}

describe('decideReport: refusals (rules 1-2)', () => {
  it('an unknown target is forbidden and opens nothing', () => {
    // Act
    const { outcome, state, effects } = report(empty(), 'a', 'zz');
    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', code: 'forbidden' });
    expect(state.incidents).toHaveLength(0);
    expect(effects.refusedReports).toEqual([]);
  });

  it('a self-report is refused and kept on a refused incident about the node; repeats join it', () => {
    const ctx = context(three);
    const first = decideReport(empty(), { reporter: 'a', target: 'a' }, ctx);
    expect(first.outcome).toMatchObject({ kind: 'refused', code: 'self-report' });
    expect(first.state.incidents).toMatchObject([
      { id: 'inc-1', target: 'a', state: 'refused', refusal: { code: 'self-report' } },
    ]);
    expect(nodeState(first.state, 'a')).toBe('member');
    const again = decideReport(first.state, { reporter: 'a', target: 'a' }, ctx);
    expect(again.state.incidents).toHaveLength(1);
    expect(again.effects.refusedReports).toMatchObject([
      { incidentId: 'inc-1', report: { reporter: 'a', code: 'self-report' } },
    ]);
  });

  it('allows a self-report when the cluster says so', () => {
    const ctx = context(cluster({ a: 0, b: 0, c: 0 }, { allowSelfReport: true }));
    expect(decideReport(empty(), { reporter: 'a', target: 'a' }, ctx).outcome).toMatchObject({
      kind: 'accepted',
      status: 202,
    });
  });

  it.each(['fencing', 'fenced', 'failed'] as const)(
    'a %s reporter lost the split brain → reporter-fenced',
    (s) => {
      const state: ClusterState = { nodes: { a: { state: s, incidentId: 'x' } }, incidents: [] };
      expect(report(state, 'a', 'b').outcome).toMatchObject({
        kind: 'refused',
        code: 'reporter-fenced',
      });
    },
  );
});

describe('decideReport: open, join, fenced (rules 3-6)', () => {
  it('opens an incident and starts fencing at once with quorum 1 and no settle time', () => {
    const { outcome, state, effects } = report(empty(), 'a', 'b');
    expect(outcome).toEqual({ kind: 'accepted', status: 202, incidentId: 'inc-1', joined: false });
    expect(state.incidents[0]).toMatchObject({
      id: 'inc-1',
      target: 'b',
      state: 'fencing',
      reporters: ['a'],
    });
    expect(nodeState(state, 'b')).toBe('fencing');
    expect(effects.enqueue).toEqual([{ incidentId: 'inc-1', delayMs: 0 }]);
  });

  it('joins the open incident instead of opening another (one fence per incident)', () => {
    const first = report(empty(), 'a', 'b');
    const { outcome, state, effects } = report(first.state, 'c', 'b');
    expect(outcome).toMatchObject({
      kind: 'accepted',
      status: 202,
      incidentId: 'inc-1',
      joined: true,
    });
    expect(state.incidents).toHaveLength(1);
    expect(state.incidents[0]?.reporters).toEqual(['a', 'c']);
    expect(effects.enqueue).toEqual([]);
  });

  it('answers 200 with the fencing incident when the target was fenced moments ago', () => {
    const state: ClusterState = {
      nodes: { b: { state: 'fenced', incidentId: 'old', at: 1_000_000 } },
      incidents: [],
    };
    expect(report(state, 'a', 'b').outcome).toEqual({
      kind: 'accepted',
      status: 200,
      incidentId: 'old',
      joined: true,
    });
  });

  it('opens a new incident for a failed target (a new attempt)', () => {
    const state: ClusterState = {
      nodes: { b: { state: 'failed', incidentId: 'old' } },
      incidents: [],
    };
    const next = report(state, 'a', 'b');
    expect(next.outcome).toMatchObject({ kind: 'accepted', incidentId: 'inc-1', joined: false });
    expect(nodeState(next.state, 'b')).toBe('fencing');
  });

  it('refuses the second accusation of a split brain once the first is fencing', () => {
    const ctx = context(two);
    const first = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
    const second = decideReport(first.state, { reporter: 'b', target: 'a' }, ctx);
    expect(second.outcome).toMatchObject({ kind: 'refused', code: 'reporter-fenced' });
  });
});

describe('decideReport: quorum', () => {
  const q2 = cluster({ a: 0, b: 0, c: 0, d: 0 }, { quorum: 2, minSurvivors: 1 });

  it('stays pending below quorum and fences when a second distinct reporter joins', () => {
    const ctx = context(q2);
    const first = decideReport(empty(), { reporter: 'a', target: 'd' }, ctx);
    expect(first.state.incidents[0]?.state).toBe('pending');
    expect(nodeState(first.state, 'd')).toBe('suspected');
    const again = decideReport(first.state, { reporter: 'a', target: 'd' }, ctx);
    expect(again.state.incidents[0]?.state).toBe('pending');
    const second = decideReport(again.state, { reporter: 'b', target: 'd' }, ctx);
    expect(second.state.incidents[0]).toMatchObject({ state: 'fencing', reporters: ['a', 'b'] });
    expect(second.effects.enqueue).toEqual([{ incidentId: 'inc-1', delayMs: 0 }]);
  });

  it('expires below quorum after quorumWindowSeconds as quorum-not-reached', () => {
    const ctx = context(q2);
    const first = decideReport(empty(), { reporter: 'a', target: 'd' }, ctx);
    const later = decideReport(
      first.state,
      { reporter: 'b', target: 'c' },
      ctx.at(ctx.now + 61_000),
    );
    const expired = later.state.incidents.find((r) => r.id === 'inc-1');
    expect(expired).toMatchObject({ state: 'refused', refusal: { code: 'quorum-not-reached' } });
    expect(nodeState(later.state, 'd')).toBe('member');
  });
});

describe('decideReport: storm guard', () => {
  it('refuses when maxConcurrentFences fences are in flight', () => {
    const ctx = context(
      cluster({ a: 0, b: 0, c: 0, d: 0 }, { maxConcurrentFences: 1, minSurvivors: 1 }),
    );
    const first = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
    const second = decideReport(first.state, { reporter: 'a', target: 'c' }, ctx);
    expect(second.outcome).toMatchObject({ kind: 'storm-guard', incidentId: 'inc-2' });
    expect(second.state.incidents.find((r) => r.id === 'inc-2')).toMatchObject({
      state: 'refused',
      refusal: { code: 'storm-guard' },
    });
    expect(nodeState(second.state, 'c')).toBe('member');
  });

  it('refuses when fewer than minSurvivors members would remain', () => {
    const ctx = context(cluster({ a: 0, b: 0, c: 0 }, { maxConcurrentFences: 3, minSurvivors: 2 }));
    const first = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
    expect(first.outcome).toMatchObject({ kind: 'accepted' });
    const second = decideReport(first.state, { reporter: 'a', target: 'c' }, ctx);
    expect(second.outcome).toMatchObject({ kind: 'storm-guard' });
  });
});

describe('decideReport: settle time and priority', () => {
  const settled = cluster({ a: 10, b: 5 }, { settleMs: 2000 });

  it('keeps the higher priority when the lower one accuses second', () => {
    const ctx = context(settled);
    const first = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
    expect(first.state.incidents[0]?.state).toBe('pending');
    expect(first.effects.enqueue).toEqual([{ incidentId: 'inc-1', delayMs: 2000 }]);
    const second = decideReport(first.state, { reporter: 'b', target: 'a' }, ctx.at(ctx.now + 500));
    expect(second.outcome).toMatchObject({ kind: 'refused', code: 'reporter-fenced' });
  });

  it('ends the earlier accusation as settle-lost when the later accuser has the higher priority', () => {
    const ctx = context(settled);
    const first = decideReport(empty(), { reporter: 'b', target: 'a' }, ctx);
    const second = decideReport(first.state, { reporter: 'a', target: 'b' }, ctx.at(ctx.now + 500));
    expect(second.outcome).toMatchObject({ kind: 'accepted', incidentId: 'inc-2' });
    expect(second.state.incidents.find((r) => r.id === 'inc-1')).toMatchObject({
      state: 'refused',
      refusal: { code: 'settle-lost' },
    });
    expect(nodeState(second.state, 'a')).toBe('member');
    expect(nodeState(second.state, 'b')).toBe('suspected');
  });

  it('ties go to the earlier report', () => {
    const ctx = context(cluster({ a: 0, b: 0 }, { settleMs: 2000 }));
    const first = decideReport(empty(), { reporter: 'b', target: 'a' }, ctx);
    const second = decideReport(first.state, { reporter: 'a', target: 'b' }, ctx.at(ctx.now + 10));
    expect(second.outcome).toMatchObject({ kind: 'refused', code: 'reporter-fenced' });
  });

  it('starts fencing once the settle time has passed', () => {
    const ctx = context(settled);
    const first = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
    const later = decideReport(first.state, { reporter: 'a', target: 'b' }, ctx.at(ctx.now + 2000));
    expect(later.state.incidents[0]?.state).toBe('fencing');
  });
});
