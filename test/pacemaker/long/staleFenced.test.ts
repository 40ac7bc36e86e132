import { beforeAll, describe, expect, it } from 'vitest';
import { dummyId } from '../support/cib.ts';
import { nodeSecretFile } from '../support/lab.ts';
import {
  crmMon,
  dummyRunsOn,
  fenceHistory,
  fencerView,
  incidentsSince,
  waitStable,
  withRestore,
} from '../support/labCluster.ts';
import { type LabBoot, theLab } from '../support/labInstance.ts';
import { type LabNode, labNodes } from '../support/labNames.ts';
import { cutCorosync, healCorosync } from '../support/network.ts';
import { runsOn } from '../support/pacemakerView.ts';
import { sleep, waitFor } from '../support/shell.ts';
import { startSampler } from '../support/splitBrainTrial.ts';

let boot: LabBoot;

beforeAll(async () => {
  boot = await theLab();
});

/**
 * DESIGN invariant 9 with a real cluster: a node Fencer fenced, then powered on by hand at its
 * BMC (as LifeKeeper's procedure tells operators to), rejoins while Fencer still holds it
 * `fenced`. The next split brain must power it off again, not answer "already fenced".
 */
describe('the stale-fenced case: fenced, powered on by hand, rejoined, then a split brain', () => {
  it('the next split brain fences it again at its BMC, and the Dummy never runs on both', async () => {
    await withRestore(boot.lab, staleFenced);
  });
});

async function staleFenced(): Promise<void> {
  // Prepare: fence T through Pacemaker and Fencer, then power it on by hand (no unfence).
  const { lab } = boot;
  const stable = await waitStable(lab);
  const stale = stable.dummyOn;
  const survivor = labNodes.find((n) => n !== stale) as LabNode;
  const fencedAt = Date.now();
  const fence = await lab.inNode(
    survivor,
    ['stonith_admin', '--fence', stale, '--timeout', '90'],
    120_000,
  );
  expect(fence.code, fence.stderr).toBe(0);
  await lab.powerOnByBmc(stale);
  // T back in both views and running the Dummy again; Fencer still says `fenced`.
  await waitFor(
    `${stale} back in the cluster`,
    async () => {
      const views = await Promise.all(labNodes.map((n) => crmMon(lab, n)));
      return views.every((v) => v?.nodes.every((n) => n.online)) ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 1000 },
  );
  await lab.inNodeOk(survivor, ['crm_resource', '--move', '--resource', dummyId, '--node', stale]);
  await waitFor(
    `the Dummy on ${stale}`,
    async () => {
      const real = await dummyRunsOn(lab);
      const view = await crmMon(lab, survivor);
      return real.length === 1 && real[0] === stale && view && runsOn(view, dummyId)[0] === stale
        ? true
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  await lab.inNodeOk(survivor, ['crm_resource', '--clear', '--resource', dummyId]);
  const held = (await fencerView(lab)).nodes.find((n) => n.name === stale);
  expect(held?.state).toBe('fenced');
  // fence_fencer's status, as Pacemaker runs it, reads the power at the BMC through Fencer:
  // ON, whatever Fencer's record says (it answered OFF from the record before phase 2).
  const options = [
    'action=status',
    `port=${stale}`,
    `fencer_url=${lab.fencer.urlForNodes}`,
    'key_id=pcmk',
    `secret_file=${nodeSecretFile}`,
  ];
  const status = await lab.inNode(survivor, [
    'sh',
    '-c',
    `printf '%s\\n' ${options.join(' ')} | fence_fencer`,
  ]);
  expect({ code: status.code, stdout: status.stdout, stderr: status.stderr }).toEqual({
    code: 0,
    stdout: 'Status: ON\n',
    stderr: '',
  });
  await sleep(2000);

  // Act: the split brain.
  const stopSampler = startSampler(lab);
  let sampled = { samples: 0, onBoth: 0 };
  try {
    await splitAndRecover(lab, stale, survivor, fencedAt);
  } finally {
    sampled = await stopSampler();
  }
  expect(sampled.samples).toBeGreaterThan(50);
  expect(sampled.onBoth).toBe(0);
}

/** The cut, the re-fence of the stale node, and back to a whole cluster. */
async function splitAndRecover(
  lab: LabBoot['lab'],
  stale: LabNode,
  survivor: LabNode,
  fencedAt: number,
) {
  const cutAt = await cutCorosync(lab.names);
  await waitFor(
    `${survivor} to fence ${stale} and take over`,
    async () => {
      const history = await fenceHistory(lab, survivor);
      const ok = history.some(
        (e) => e.target === stale && e.status === 'success' && (e.completedMs ?? 0) >= cutAt - 1000,
      );
      const real = await dummyRunsOn(lab);
      return ok && real.length === 1 && real[0] === survivor ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  await sleep(3000);

  // Assess: the stale node was really powered off again, once; a new incident proved it.
  expect(lab.powerOffsSince(cutAt).map((o) => o.node)).toEqual([stale]);
  const incidents = await incidentsSince(lab, cutAt - 1000);
  const fenced = incidents.filter((i) => i.state === 'fenced');
  expect(fenced.map((i) => [i.target, i.reporters])).toEqual([[stale, [survivor]]]);
  expect(fenced[0]?.attempts.at(-1)).toMatchObject({
    outcome: 'off',
    detail: expect.stringContaining('verified off'),
  });
  expect(fenced[0]?.attempts.some((a) => a.detail.includes('already off'))).toBe(false);
  // The stale node's own reports were refused, and Fencer kept them (on an incident about it).
  const refused = lab
    .agentCalls(stale)
    .filter((c) => c.action === 'off' && c.startMs >= cutAt && /reporter-fenced/.test(c.stderr));
  if (refused.length > 0) {
    const kept = (await incidentsSince(lab, fencedAt - 1000)).flatMap(
      (i) => i.refusedReports ?? [],
    );
    expect(kept).toContainEqual(
      expect.objectContaining({ reporter: stale, code: 'reporter-fenced' }),
    );
  }

  // Back to a whole cluster.
  await healCorosync(lab.names);
  await lab.unfenceAndPowerOn(stale);
  await waitStable(lab);
}
