import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claim, close } from '../../../core/arbiter/lifecycle.ts';
import { decideReport } from '../../../core/arbiter/report.ts';
import { type ClusterState, nodeRecord, openIncidents } from '../../../core/arbiter/state.ts';
import { unfence } from '../../../core/arbiter/unfence.ts';
import { cluster, context, empty } from './fixtures.ts';

/**
 * Invariant 9 as a property: whatever happens (reports, fence outcomes, people powering nodes
 * on at their BMC, admin unfences), a report is never answered 200/fenced about a node whose
 * power reads `on` at that moment. The model keeps each node's real power: a verified fence
 * turns it off (that is what verified means), a hand power-on turns it on again.
 * A person powers a node on no sooner than DESIGN's 10 s after its fence (the window in which
 * a report still gets the fencing incident: a node cannot be powered on, boot and rejoin in it).
 */
/** DESIGN rule 3's window, written out (not the implementation's constant). */
const designWindowMs = 10_000;

type Step =
  | { kind: 'report'; reporter: number; target: number }
  | { kind: 'fence'; pick: number; verified: boolean }
  | { kind: 'power-on'; node: number }
  | { kind: 'unfence'; node: number; powerOn: boolean }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      reporter: fc.nat(3),
      target: fc.nat(3),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fence' as const),
      pick: fc.nat(3),
      verified: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('power-on' as const), node: fc.nat(3) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('unfence' as const),
      node: fc.nat(3),
      powerOn: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      ms: fc.integer({ min: 0, max: 30_000 }),
    }),
  },
);

describe('invariant 9: fenced is re-proven', () => {
  it('no report is answered 200/fenced about a node whose power reads on', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.constantFrom(1, 2),
        fc.constantFrom(0, 1),
        fc.array(step, { maxLength: 80 }),
        (n, quorum, minSurvivors, steps) => {
          const names = ['a', 'b', 'c', 'd'].slice(0, n);
          const name = (i: number) => names[i % n] ?? 'a';
          const config = cluster(Object.fromEntries(names.map((x) => [x, 0])), {
            quorum: Math.min(quorum, n - 1),
            minSurvivors: Math.min(minSurvivors, n - 1),
            maxConcurrentFences: 2,
          });
          const ctx = context(config);
          let state: ClusterState = empty();
          const power = new Map(names.map((x) => [x, 'on' as 'on' | 'off']));
          const offSince = new Map<string, number>();
          for (const s of steps) {
            if (s.kind === 'wait') ctx.at(ctx.now + s.ms);
            else if (s.kind === 'report') {
              const target = name(s.target);
              const decided = decideReport(state, { reporter: name(s.reporter), target }, ctx);
              state = decided.state;
              if (decided.outcome.kind === 'accepted' && decided.outcome.status === 200)
                expect(power.get(target)).toBe('off');
            } else if (s.kind === 'fence') {
              const fencing = openIncidents(state).filter((r) => r.state === 'fencing');
              const record = fencing[s.pick % Math.max(1, fencing.length)];
              if (!record) continue;
              state = claim(state, record.id, 'w', 30_000, ctx).state;
              // A verified fence is the engine observing the target off: it is off now.
              if (s.verified) {
                power.set(record.target, 'off');
                offSince.set(record.target, ctx.now);
              }
              const outcome = s.verified ? 'fenced' : 'failed';
              state = close(state, record.id, { outcome, detail: '' }, ctx).state;
            } else if (s.kind === 'power-on') {
              const node = name(s.node);
              if (ctx.now - (offSince.get(node) ?? Number.NEGATIVE_INFINITY) > designWindowMs)
                power.set(node, 'on');
            } else {
              const node = name(s.node);
              state = unfence(state, node, ctx).state;
              if (s.powerOn && nodeRecord(state, node) === undefined) power.set(node, 'on');
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
