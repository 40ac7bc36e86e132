import type { Incident } from '../../../core/protocol/api.ts';
import type { AgentCall } from './agentLog.ts';
import type { Lab } from './lab.ts';
import {
  dummyRunsOn,
  fenceHistory,
  incidentsSince,
  type Stable,
  waitStable,
} from './labCluster.ts';
import { type LabNode, labNodes } from './labNames.ts';
import { cutCorosync, healCorosync } from './network.ts';
import { sleep } from './shell.ts';

/** What one split brain did, from both sides. Times are ms since the epoch. */
export interface TrialResult {
  before: Stable;
  cutAt: number;
  /** Every power cut a BMC carried out from the cut until the cluster was whole again. */
  offs: { node: LabNode; ts: number }[];
  /** `off` commands a BMC got for a node already off (ipmitool resends after 1 s of silence). */
  repeatedOffCommands: number;
  survivor?: LabNode;
  loser?: LabNode;
  /** First poll at which the survivor's `stonith_admin --history` showed the fence succeeded. */
  historyAt?: number;
  /** End of the survivor's fence_fencer run that exited 0 for the loser. */
  agentExit0At?: number;
  /** The loser's fence_fencer runs against the survivor (killed with it, or refused). */
  loserCalls: AgentCall[];
  /** Fencer's incidents opened during the trial. */
  incidents: Incident[];
  /** Samples of where the Dummy really ran (state file in each node's /run), every ~100 ms. */
  samples: number;
  samplesOnBoth: number;
  /** ms from the cut until the cluster was stable again (loser powered on and rejoined). */
  recoveredAfterMs: number;
}

const fenceActions = ['off', 'reboot'];

/** Samples where the Dummy really runs until stopped; init PIDs refreshed every second. */
export function startSampler(lab: Lab) {
  let stop = false;
  let samples = 0;
  let onBoth = 0;
  const done = (async () => {
    let pids = new Map<LabNode, number>();
    let refreshed = 0;
    while (!stop) {
      if (Date.now() - refreshed > 1000) {
        pids = new Map();
        for (const node of labNodes) {
          const pid = await lab.initPid(node);
          if (pid !== undefined) pids.set(node, pid);
        }
        refreshed = Date.now();
      }
      const running = await dummyRunsOn(lab, pids);
      samples++;
      if (running.length > 1) onBoth++;
      await sleep(100);
    }
  })();
  return async () => {
    stop = true;
    await done;
    return { samples, onBoth };
  };
}

/**
 * One split brain: from a stable cluster, cut corosync's traffic in both namespaces at once,
 * wait until one node is powered off and the other has taken over (its fence history says
 * success, its agent exited 0, the Dummy really runs there), watch a little longer for a
 * second power-off, then heal, power the loser on through Fencer and wait until stable again.
 */
export async function splitBrainTrial(lab: Lab, fenceTimeoutMs = 90_000): Promise<TrialResult> {
  const before = await waitStable(lab);
  const stopSampler = startSampler(lab);
  try {
    const trial = await cutAndRecover(lab, fenceTimeoutMs);
    const { samples, onBoth } = await stopSampler();
    return { before, ...trial, samples, samplesOnBoth: onBoth };
  } catch (err) {
    await stopSampler();
    throw err;
  }
}

async function cutAndRecover(
  lab: Lab,
  fenceTimeoutMs: number,
): Promise<Omit<TrialResult, 'before' | 'samples' | 'samplesOnBoth'>> {
  const cutAt = await cutCorosync(lab.names);
  const deadline = cutAt + fenceTimeoutMs;
  let survivor: LabNode | undefined;
  let loser: LabNode | undefined;
  let historyAt: number | undefined;
  let agentExit0At: number | undefined;
  while (Date.now() < deadline) {
    const first = lab.powerOffsSince(cutAt)[0];
    if (first) {
      loser = first.node;
      survivor = labNodes.find((n) => n !== loser);
    }
    if (survivor && loser) {
      const target = loser;
      if (historyAt === undefined) {
        const history = await fenceHistory(lab, survivor);
        const ok = history.some(
          (e) =>
            e.target === target && e.status === 'success' && (e.completedMs ?? 0) >= cutAt - 1000,
        );
        if (ok) historyAt = Date.now();
      }
      const exit0 = lab
        .agentCalls(survivor)
        .find(
          (c) =>
            fenceActions.includes(c.action) &&
            c.target === target &&
            c.startMs >= cutAt &&
            c.exit === 0,
        );
      agentExit0At = exit0?.endMs;
      const real = await dummyRunsOn(lab);
      if (
        historyAt !== undefined &&
        agentExit0At !== undefined &&
        real.length === 1 &&
        real[0] === survivor
      )
        break;
    }
    await sleep(250);
  }
  // A second power-off would come within seconds of the first (the loser's report, if acted on).
  await sleep(3000);
  const incidents = await incidentsSince(lab, cutAt - 1000);
  const loserCalls = loser
    ? lab.agentCalls(loser).filter((c) => fenceActions.includes(c.action) && c.startMs >= cutAt)
    : [];
  await healCorosync(lab.names);
  for (const node of new Set(lab.powerOffsSince(cutAt).map((o) => o.node)))
    await lab.unfenceAndPowerOn(node);
  await waitStable(lab);
  const recoveredAfterMs = Date.now() - cutAt;
  return {
    cutAt,
    offs: lab.powerOffsSince(cutAt),
    repeatedOffCommands: lab.offCommandsSince(cutAt).filter((e) => e.was !== 'on').length,
    ...(survivor ? { survivor } : {}),
    ...(loser ? { loser } : {}),
    ...(historyAt !== undefined ? { historyAt } : {}),
    ...(agentExit0At !== undefined ? { agentExit0At } : {}),
    loserCalls,
    incidents,
    recoveredAfterMs,
  };
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
