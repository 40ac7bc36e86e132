import { beforeAll, describe, expect, it } from 'vitest';
import {
  dummyRunsOn,
  fenceHistory,
  incidentsSince,
  waitStable,
  withRestore,
} from '../support/labCluster.ts';
import { type LabBoot, theLab } from '../support/labInstance.ts';
import { type LabNode, labNodes } from '../support/labNames.ts';
import { cutCorosync, healCorosync } from '../support/network.ts';
import { sleep, waitFor } from '../support/shell.ts';
import { startSampler } from '../support/splitBrainTrial.ts';

/** Long enough for each side to try (and fail) more than once; short of stonith-max-attempts. */
const outageMs = 25_000;

let boot: LabBoot;

beforeAll(async () => {
  boot = await theLab();
});

describe('scenario d: Fencer down during a corosync cut', () => {
  it('every agent call fails with its reason and nobody is powered off; once Fencer is back the fence completes by itself', async () => {
    await withRestore(boot.lab, () => fencerDownScenario(boot));
  });
});

/** Fencer stopped, then the cut; later Fencer back. Leaves the cluster whole again. */
async function fencerDownScenario({ lab }: LabBoot): Promise<void> {
  // Prepare: a whole cluster, then Fencer stopped (SIGTERM), then the cut.
  await waitStable(lab);
  await lab.fencer.stopServe();
  const stopSampler = startSampler(lab);
  let sampled = { samples: 0, onBoth: 0 };
  try {
    await outageThenBack(lab, await cutCorosync(lab.names));
  } finally {
    sampled = await stopSampler();
  }
  // The Dummy never ran on both nodes, from the cut until the cluster was whole again.
  expect(sampled.samples).toBeGreaterThan(100);
  expect(sampled.onBoth).toBe(0);
}

async function outageThenBack(lab: LabBoot['lab'], cutAt: number): Promise<void> {
  // Act 1: the outage. Each partition tries to fence the other; the device's target list
  // (fence_fencer list) cannot be refreshed, so Pacemaker's attempts fail before an `off`.
  const failedAttempts = async () => {
    const failed: string[] = [];
    for (const node of labNodes) {
      for (const e of await fenceHistory(lab, node))
        if (e.status === 'failed' && (e.completedMs ?? 0) >= cutAt - 1000)
          failed.push(`${node}: ${e.action} ${e.target} failed`);
    }
    return failed;
  };
  await waitFor(
    "a failed fence attempt in Pacemaker's history",
    async () => ((await failedAttempts()).length > 0 ? true : undefined),
    { timeoutMs: 90_000, intervalMs: 1000 },
  );
  await sleep(Math.max(0, cutAt + outageMs - Date.now()));

  // Assess 1: every agent call made during the outage ends by itself, before Pacemaker's
  // timeout, with exit 1 and the reason on stderr (the agent's budgets sit under Pacemaker's
  // timeouts); Fencer stays down until the last of them has ended. Nobody was powered off.
  const outageEnd = Date.now();
  const calls = () =>
    labNodes.flatMap((node) =>
      lab
        .agentCalls(node)
        .filter((c) => c.startMs >= cutAt && c.startMs <= outageEnd && c.action !== 'metadata')
        .map((c) => ({ node, ...c })),
    );
  const summarize = () =>
    calls().map(
      (c) =>
        `${c.node} ${c.action} ${c.endMs === undefined ? 'running or killed' : `exit ${c.exit} after ${c.endMs - c.startMs} ms`}: ${c.stderr.trim().slice(0, 160)}`,
    );
  await waitFor(
    'every agent call of the outage to end',
    async () => (calls().every((c) => c.endMs !== undefined) ? true : undefined),
    { timeoutMs: 70_000, intervalMs: 500, detail: async () => summarize().join('\n') },
  );
  const during = calls();
  const summary = summarize();
  expect(during.length, summary.join('\n')).toBeGreaterThan(0);
  for (const call of during) {
    expect(call.exit, summary.join('\n')).toBe(1);
    expect(call.stderr, summary.join('\n')).toMatch(/^Failed: \S/);
  }
  expect(lab.powerOffsSince(cutAt)).toEqual([]);
  const attempts = await failedAttempts();
  console.info(
    `[pacemaker] Fencer down: ${attempts.length} failed fence attempts (${attempts.join('; ')}); agent calls:\n${summary.join('\n')}`,
  );

  // Act 2: Fencer back (same port, same data dir). Pacemaker tries again when the device's
  // failure-timeout expires (its failed start made the recheck timer), not at once.
  await lab.fencer.startServe();
  const backAt = Date.now();
  const fenced = await waitFor(
    'the fence to complete with Fencer back',
    async () => {
      const off = lab.powerOffsSince(cutAt)[0];
      if (!off) return undefined;
      const survivor = labNodes.find((n) => n !== off.node) as LabNode;
      const history = await fenceHistory(lab, survivor);
      const ok = history.some(
        (e) =>
          e.target === off.node && e.status === 'success' && (e.completedMs ?? 0) >= backAt - 1000,
      );
      const real = await dummyRunsOn(lab);
      return ok && real.length === 1 && real[0] === survivor
        ? { loser: off.node, survivor, at: off.ts }
        : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
  await sleep(3000);

  // Assess 2: exactly one power cut, after Fencer came back; never the Dummy on both.
  expect(lab.powerOffsSince(cutAt)).toEqual([{ node: fenced.loser, ts: fenced.at }]);
  expect(fenced.at).toBeGreaterThan(backAt);
  const incidents = await incidentsSince(lab, cutAt - 1000);
  expect(incidents.filter((i) => i.state === 'fenced').map((i) => [i.target, i.reporters])).toEqual(
    [[fenced.loser, [fenced.survivor]]],
  );
  console.info(
    `[pacemaker] Fencer down: cut → Fencer back ${backAt - cutAt} ms, back → power cut ${fenced.at - backAt} ms`,
  );

  // Back to a whole cluster (the device's failed start expires after its failure-timeout).
  await healCorosync(lab.names);
  await lab.unfenceAndPowerOn(fenced.loser);
  await waitStable(lab, 240_000);
}
