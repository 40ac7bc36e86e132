import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claim, close, failPoisoned } from '../../../core/arbiter/lifecycle.ts';
import { decideReport } from '../../../core/arbiter/report.ts';
import { type ClusterState, nodeState, openIncidents } from '../../../core/arbiter/state.ts';
import { unfence } from '../../../core/arbiter/unfence.ts';
import { cluster, context, empty } from './fixtures.ts';

type Action =
  | { kind: 'report'; reporter: number; target: number }
  | { kind: 'outcome'; pick: number; verified: boolean }
  | { kind: 'poison'; pick: number }
  | { kind: 'unfence'; node: number }
  | { kind: 'wait'; ms: number };

const action = (nodes: number): fc.Arbitrary<Action> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('report' as const),
        reporter: fc.nat(nodes - 1),
        target: fc.nat(nodes - 1),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('outcome' as const),
        pick: fc.nat(5),
        verified: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('poison' as const), pick: fc.nat(5) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('unfence' as const), node: fc.nat(nodes - 1) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('wait' as const),
        ms: fc.integer({ min: 0, max: 90_000 }),
      }),
    },
  );

const options = fc.record({
  quorum: fc.constantFrom(1, 2),
  settleMs: fc.constantFrom(0, 500, 3000),
  maxConcurrentFences: fc.constantFrom(1, 2),
  minSurvivors: fc.constantFrom(0, 1),
  priorities: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
});

/**
 * Replays a random interleaving through the pure rules, as the ledger would serialise it,
 * and returns every state seen plus the incidents a driver verified off.
 */
type Options = typeof options extends fc.Arbitrary<infer T> ? T : never;

function replay(nodeCount: number, opts: Options, actions: Action[]) {
  const names = ['a', 'b', 'c', 'd'].slice(0, nodeCount);
  const config = cluster(Object.fromEntries(names.map((n, i) => [n, opts.priorities[i] ?? 0])), {
    quorum: Math.min(opts.quorum, nodeCount - 1),
    settleMs: opts.settleMs,
    maxConcurrentFences: opts.maxConcurrentFences,
    minSurvivors: opts.minSurvivors,
  });
  const ctx = context(config);
  let state: ClusterState = empty();
  const verified = new Set<string>();
  const seen: ClusterState[] = [];
  for (const a of actions) {
    if (a.kind === 'wait') ctx.at(ctx.now + a.ms);
    else if (a.kind === 'report') {
      state = decideReport(
        state,
        {
          reporter: names[a.reporter % nodeCount] ?? 'a',
          target: names[a.target % nodeCount] ?? 'a',
        },
        ctx,
      ).state;
    } else if (a.kind === 'unfence')
      state = unfence(state, names[a.node % nodeCount] ?? 'a', ctx).state;
    else {
      const fencing = openIncidents(state).filter((r) => r.state === 'fencing');
      const record = fencing[a.pick % Math.max(1, fencing.length)];
      if (!record) continue;
      const claimed = claim(state, record.id, 'w', 30_000, ctx);
      state = claimed.state;
      if (a.kind === 'poison') state = failPoisoned(state, record.id, ctx).state;
      else {
        if (a.verified) verified.add(record.id);
        state = close(
          state,
          record.id,
          { outcome: a.verified ? 'fenced' : 'failed', detail: '' },
          ctx,
        ).state;
      }
    }
    seen.push(state);
  }
  return { seen, verified, names };
}

describe('arbiter invariants under random interleavings', () => {
  it('a 2-node cluster never has both nodes fencing or fenced', () => {
    fc.assert(
      fc.property(options, fc.array(action(2), { maxLength: 60 }), (opts, actions) => {
        const { seen } = replay(2, opts, actions);
        for (const state of seen) {
          const down = ['a', 'b'].filter((n) =>
            ['fencing', 'fenced'].includes(nodeState(state, n)),
          );
          expect(down.length).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('no node is fenced without a verified-off outcome, in clusters of 2 to 4 nodes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        options,
        fc.array(action(4), { maxLength: 80 }),
        (n, opts, actions) => {
          const { seen, verified, names } = replay(n, opts, actions);
          for (const state of seen) {
            for (const node of names) {
              if (nodeState(state, node) === 'fenced')
                expect(verified.has(state.nodes[node]?.incidentId ?? '')).toBe(true);
            }
            // Storm guard: never more fences in flight than allowed.
            expect(
              openIncidents(state).filter((r) => r.state === 'fencing').length,
            ).toBeLessThanOrEqual(opts.maxConcurrentFences);
            // One fence per incident: at most one open incident per target.
            const targets = openIncidents(state).map((r) => r.target);
            expect(new Set(targets).size).toBe(targets.length);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
