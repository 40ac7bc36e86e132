import { describe, expect, it } from 'vitest';
import { claim, close, failPoisoned, renew } from '../../../core/arbiter/lifecycle.ts';
import { decideReport } from '../../../core/arbiter/report.ts';
import { nodeState } from '../../../core/arbiter/state.ts';
import { finishPowerOn, unfence } from '../../../core/arbiter/unfence.ts';
import { cluster, context, empty } from './fixtures.ts';

const three = cluster({ a: 0, b: 0, c: 0 });

function fencingOfB() {
  const ctx = context(three);
  const { state } = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
  return { ctx, state };
}

describe('claim and lease', () => {
  it('gives the lease to one worker; another waits until it expires', () => {
    const { ctx, state } = fencingOfB();
    const first = claim(state, 'inc-1', 'w1', 30_000, ctx);
    expect(first.outcome.kind).toBe('run');
    const second = claim(first.state, 'inc-1', 'w2', 30_000, ctx.at(ctx.now + 1000));
    expect(second.outcome).toMatchObject({ kind: 'busy', owner: 'w1' });
    const takeover = claim(first.state, 'inc-1', 'w2', 30_000, ctx.at(ctx.now + 30_000));
    expect(takeover.outcome.kind).toBe('run');
    expect(renew(takeover.state, 'inc-1', 'w1', 30_000, ctx).outcome).toBe(false);
  });

  it('says later for a pending incident and done for an unknown one', () => {
    const ctx = context(cluster({ a: 0, b: 0, c: 0 }, { quorum: 2 }));
    const { state } = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
    expect(claim(state, 'inc-1', 'w', 1000, ctx).outcome).toEqual({
      kind: 'later',
      delayMs: 60_000,
    });
    expect(claim(state, 'nope', 'w', 1000, ctx).outcome).toEqual({
      kind: 'done',
      state: 'unknown',
    });
  });
});

describe('close', () => {
  it('marks the target fenced only with a fenced verdict', () => {
    const { ctx, state } = fencingOfB();
    const fenced = close(
      state,
      'inc-1',
      { outcome: 'fenced', detail: 'verified off by level 1' },
      ctx,
    );
    expect(fenced.outcome?.state).toBe('fenced');
    expect(nodeState(fenced.state, 'b')).toBe('fenced');
    const failed = close(
      state,
      'inc-1',
      { outcome: 'failed', detail: 'every fence level failed' },
      ctx,
    );
    expect(failed.outcome).toMatchObject({ state: 'failed', refusal: { code: 'fence-failed' } });
    expect(nodeState(failed.state, 'b')).toBe('failed');
  });

  it('does not reopen a closed incident', () => {
    const { ctx, state } = fencingOfB();
    const fenced = close(state, 'inc-1', { outcome: 'fenced', detail: '' }, ctx).state;
    const again = close(fenced, 'inc-1', { outcome: 'failed', detail: '' }, ctx);
    expect(nodeState(again.state, 'b')).toBe('fenced');
  });

  it('ends a poisoned fence as failed', () => {
    const { ctx, state } = fencingOfB();
    expect(failPoisoned(state, 'inc-1', ctx).outcome?.state).toBe('failed');
  });

  it('still announces a fence that came due in the same decision as a poisoned one', () => {
    // Prepare: inc-1 is fencing; inc-2 (c accuses d) waits out its settle time.
    const ctx = context(
      cluster({ a: 0, b: 0, c: 0, d: 0 }, { settleMs: 1000, maxConcurrentFences: 2 }),
    );
    let { state } = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
    state = decideReport(state, { reporter: 'c', target: 'd' }, ctx.at(ctx.now + 1000)).state;
    expect(state.incidents.map((r) => r.state)).toEqual(['fencing', 'pending']);

    // Act: the poison decision is the first one after inc-2's settle time.
    const { state: after, effects } = failPoisoned(state, 'inc-1', ctx.at(ctx.now + 1000));

    // Assess: inc-2 started, and its fence message and projection are not lost.
    expect(after.incidents.map((r) => r.state)).toEqual(['failed', 'fencing']);
    expect(effects.enqueue).toContainEqual({ incidentId: 'inc-2', delayMs: 0 });
    expect([...effects.touched].sort()).toEqual(['inc-1', 'inc-2']);
  });
});

describe('unfence', () => {
  it('refuses while the fence is in flight', () => {
    const { ctx, state } = fencingOfB();
    expect(unfence(state, 'b', ctx).outcome).toEqual({
      kind: 'in-flight',
      incidentId: 'inc-1',
      detail: 'incident inc-1 is still fencing b',
    });
  });

  it('with a power-on the node becomes a member only when it ends; reports meanwhile are refused', () => {
    // Hole 7: the node was a member before its power-on ended, and a new fence overlapped it.
    const { ctx, state } = fencingOfB();
    const fenced = close(state, 'inc-1', { outcome: 'fenced', detail: '' }, ctx).state;
    const begun = unfence(fenced, 'b', ctx, { powerOnMs: 65_000 });
    expect(begun.outcome).toMatchObject({ kind: 'unfenced', previous: 'fenced' });
    expect(nodeState(begun.state, 'b')).toBe('fenced');
    expect(decideReport(begun.state, { reporter: 'a', target: 'b' }, ctx).outcome).toMatchObject({
      kind: 'refused',
      code: 'in-flight',
    });
    expect(unfence(begun.state, 'b', ctx).outcome).toMatchObject({ kind: 'in-flight' });
    const done = finishPowerOn(begun.state, 'b', 'member', ctx);
    expect(done.outcome).toBe('member');
    expect(nodeState(done.state, 'b')).toBe('member');
    expect(decideReport(done.state, { reporter: 'a', target: 'b' }, ctx).outcome).toMatchObject({
      kind: 'accepted',
      status: 202,
    });
  });

  it('a power-on that never reported back stops holding the node after its time', () => {
    const { ctx, state } = fencingOfB();
    const fenced = close(state, 'inc-1', { outcome: 'fenced', detail: '' }, ctx).state;
    const begun = unfence(fenced, 'b', ctx, { powerOnMs: 65_000 }).state;
    const later = ctx.at(ctx.now + 65_001);
    expect(nodeState(begun, 'b')).toBe('fenced');
    expect(decideReport(begun, { reporter: 'a', target: 'b' }, later).outcome).toMatchObject({
      kind: 'accepted',
      status: 202,
    });
  });

  it('brings a fenced node back to member', () => {
    const { ctx, state } = fencingOfB();
    const fenced = close(state, 'inc-1', { outcome: 'fenced', detail: '' }, ctx).state;
    const back = unfence(fenced, 'b', ctx);
    expect(back.outcome).toEqual({ kind: 'unfenced', previous: 'fenced', incidentId: 'inc-1' });
    expect(nodeState(back.state, 'b')).toBe('member');
  });

  it('drops a pending suspicion as refused', () => {
    const ctx = context(cluster({ a: 0, b: 0, c: 0 }, { quorum: 2 }));
    const { state } = decideReport(empty(), { reporter: 'a', target: 'b' }, ctx);
    const back = unfence(state, 'b', ctx);
    expect(back.state.incidents[0]).toMatchObject({
      state: 'refused',
      refusal: { code: 'unfenced' },
    });
  });

  it('knows only configured nodes', () => {
    expect(unfence(empty(), 'zz', context(three)).outcome).toEqual({ kind: 'unknown-node' });
  });
});

describe('reboot', () => {
  it('an off report joining a reboot makes it an off; a fenced reboot holds the node for its power-on', () => {
    const ctx = context(three);
    const first = decideReport(empty(), { reporter: 'a', target: 'b', action: 'reboot' }, ctx);
    expect(first.state.incidents[0]?.action).toBe('reboot');
    const joined = decideReport(first.state, { reporter: 'c', target: 'b' }, ctx);
    expect(joined.state.incidents[0]?.action).toBeUndefined();

    const claimed = claim(first.state, 'inc-1', 'w', 30_000, ctx).state;
    const fenced = close(claimed, 'inc-1', { outcome: 'fenced', detail: '' }, ctx).state;
    expect(fenced.nodes.b).toMatchObject({
      state: 'fenced',
      poweringOn: { until: expect.any(Number) },
    });
    expect(decideReport(fenced, { reporter: 'a', target: 'b' }, ctx).outcome).toMatchObject({
      kind: 'refused',
      code: 'in-flight',
    });
    // A failed power-on leaves it fenced (without the hold); a good one makes it a member.
    const failed = finishPowerOn(fenced, 'b', 'unchanged', ctx);
    expect(failed.state.nodes.b).toEqual({ state: 'fenced', incidentId: 'inc-1', at: ctx.now });
    expect(nodeState(finishPowerOn(fenced, 'b', 'member', ctx).state, 'b')).toBe('member');
  });
});
