import type { ExpectStatic } from 'vitest';
import type { Lab } from './lab.ts';
import { withRestore } from './labCluster.ts';
import { median, splitBrainTrial, type TrialResult } from './splitBrainTrial.ts';

/**
 * Runs `count` split-brain trials and asserts each one, from Pacemaker's side (the survivor's
 * fence history and agent exit, where the Dummy really ran) and from Fencer's (one fenced
 * incident reported by the survivor, none acted on from the loser) and the BMCs' (exactly one
 * power-off). Prints the numbers the issue asks for.
 */
export async function splitBrainTrials(
  lab: Lab,
  count: number,
  expect: ExpectStatic,
): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  for (let i = 0; i < count; i++) {
    const trial = await withRestore(lab, () => splitBrainTrial(lab));
    results.push(trial);
    const label = `trial ${i + 1}: ${JSON.stringify({ ...trial, loserCalls: trial.loserCalls.map((c) => [c.action, c.exit, c.stderr.trim()]) })}`;
    // Exactly one node powered off: no trial without a fence, no double fence.
    expect(trial.offs, label).toHaveLength(1);
    expect(trial.loser, label).toBe(trial.offs[0]?.node);
    expect(trial.historyAt, label).toBeDefined();
    expect(trial.agentExit0At, label).toBeDefined();
    // Never the Dummy on both nodes, sampled every ~100 ms from the cut to the end of recovery.
    expect(trial.samples, label).toBeGreaterThan(50);
    expect(trial.samplesOnBoth, label).toBe(0);
    // Fencer: one incident, the loser fenced on the survivor's report; nothing acted on from the loser.
    const fenced = trial.incidents.filter((x) => x.state === 'fenced');
    expect(
      fenced.map((x) => x.target),
      label,
    ).toEqual([trial.loser]);
    expect(fenced[0]?.reporters, label).toEqual([trial.survivor]);
    expect(
      trial.incidents.filter((x) => x.target === trial.survivor),
      label,
    ).toEqual([]);
    expect(
      trial.loserCalls.filter((c) => c.exit === 0),
      label,
    ).toEqual([]);
  }
  const ms = (pick: (t: TrialResult) => number | undefined) =>
    median(results.map((t) => (pick(t) ?? Number.NaN) - t.cutAt));
  const summary = {
    trials: results.length,
    doubleFences: results.filter((t) => t.offs.length > 1).length,
    withoutFence: results.filter((t) => t.offs.length === 0).length,
    survivors: results.map((t) => t.survivor),
    medianCutToPowerOffMs: ms((t) => t.offs[0]?.ts),
    medianCutToHistorySuccessMs: ms((t) => t.historyAt),
    medianCutToAgentExit0Ms: ms((t) => t.agentExit0At),
    medianRecoveredMs: median(results.map((t) => t.recoveredAfterMs)),
    loserCallsKilled: results.flatMap((t) => t.loserCalls).filter((c) => c.exit === undefined)
      .length,
    loserCallsRefused: results
      .flatMap((t) => t.loserCalls)
      .filter((c) => /reporter-fenced/.test(c.stderr)).length,
    samplesOnBoth: results.reduce((n, t) => n + t.samplesOnBoth, 0),
    repeatedOffCommands: results.reduce((n, t) => n + t.repeatedOffCommands, 0),
  };
  console.info(`[pacemaker] split brain: ${JSON.stringify(summary)}`);
  return results;
}
