import { beforeAll, describe, expect, it } from 'vitest';
import { dummyId, stonithActionCommand } from './support/cib.ts';
import type { Lab } from './support/lab.ts';
import {
  crmMon,
  dummyRunsOn,
  fenceHistory,
  fencerView,
  incidentsSince,
  waitStable,
  withRestore,
} from './support/labCluster.ts';
import { type LabBoot, theLab } from './support/labInstance.ts';
import { type LabNode, labNodes } from './support/labNames.ts';
import { cutCorosync, healCorosync, isCut } from './support/network.ts';
import { runsOn } from './support/pacemakerView.ts';
import { sleep, waitFor } from './support/shell.ts';
import { startSampler } from './support/splitBrainTrial.ts';

/**
 * Pacemaker's default fence action, `reboot`, through fence_fencer (DESIGN "Node side"): the
 * agent reports `"action": "reboot"`, Pacemaker is answered once the node is verified off, and
 * Fencer then powers the node on itself and holds it a `member` again. Nobody unfences it and
 * nothing powers it on but Fencer: the node comes back by itself.
 */
let boot: LabBoot;

beforeAll(async () => {
  boot = await theLab();
});

describe('scenario f: stonith-action=reboot (Pacemaker’s default)', () => {
  it('a split brain reboots the loser: off then on at its BMC by Fencer; it rejoins once the link heals', async () => {
    await withRestore(boot.lab, () => withStonithAction(boot.lab, splitBrainReboot));
  });

  it('stonith_admin --reboot: one power cut, Fencer powers the node on, and it rejoins by itself', async () => {
    await withRestore(boot.lab, () => withStonithAction(boot.lab, manualReboot));
  });
});

/**
 * What the node's BMC did to its power since `since`: each command that changed it (a power
 * cut, a power-on). A command repeated on a node already in that state (ipmitool resends one
 * the BMC was slow to answer) changes nothing and is left out.
 */
function powerChanges(lab: Lab, node: LabNode, since: number): string[] {
  return lab
    .powerLog(node)
    .filter((e) => e.ts >= since && e.set !== e.was)
    .map((e) => e.set);
}

/** Sets the cluster's stonith-action to reboot for `scenario`, and back to off after it. */
async function withStonithAction<T>(lab: Lab, scenario: () => Promise<T>): Promise<T> {
  await lab.inNodeOk(labNodes[0], stonithActionCommand('reboot'));
  try {
    return await scenario();
  } finally {
    for (const node of labNodes)
      if ((await lab.inNode(node, stonithActionCommand('off'))).code === 0) break;
  }
}

async function splitBrainReboot(): Promise<void> {
  const { lab } = boot;
  await waitStable(lab);
  const stopSampler = startSampler(lab);
  let sampled = { samples: 0, onBoth: 0 };
  try {
    await cutRebootHeal(lab);
  } finally {
    sampled = await stopSampler();
  }
  // The Dummy never ran on both nodes, from the cut until the cluster was whole again.
  expect(sampled.samples).toBeGreaterThan(50);
  expect(sampled.onBoth).toBe(0);
}

async function cutRebootHeal(lab: Lab): Promise<void> {
  // Act: the cut; the survivor's Pacemaker reboots the loser through fence_fencer.
  const cutAt = await cutCorosync(lab.names);
  let last = '';
  const seen = await waitFor(
    'the survivor to reboot the loser and take over, and Fencer to power the loser on',
    async () => {
      const off = lab.powerOffsSince(cutAt)[0];
      if (!off) return undefined;
      const loser = off.node;
      const survivor = labNodes.find((n) => n !== loser) as LabNode;
      const onAgain = lab.powerLog(loser).find((e) => e.set === 'on' && e.ts >= off.ts);
      const history = await fenceHistory(lab, survivor);
      const success = history.find(
        (e) => e.target === loser && e.status === 'success' && (e.completedMs ?? 0) >= cutAt - 1000,
      );
      const call = lab
        .agentCalls(survivor)
        .find((c) => c.action === 'reboot' && c.target === loser && c.startMs >= cutAt);
      const real = await dummyRunsOn(lab);
      const held = (await fencerView(lab)).nodes.find((n) => n.name === loser)?.state;
      last = JSON.stringify({ loser, onAgain, success, exit: call?.exit, real, held });
      return onAgain && success && call?.exit === 0 && real.join() === survivor && held === 'member'
        ? { loser, survivor, off, onAgain, success, call }
        : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500, detail: async () => last },
  );
  await sleep(3000);
  const { loser, survivor } = seen;

  // Assess: Pacemaker recorded a reboot, and the agent's success.
  expect(seen.success.action).toBe('reboot');
  expect(seen.call.stdout).toBe('Success: Rebooted\n');
  // The BMCs: one power cut, then the power-on Fencer sent; nothing at the survivor's.
  expect(lab.powerOffsSince(cutAt)).toEqual([{ node: loser, ts: seen.off.ts }]);
  expect(powerChanges(lab, loser, cutAt)).toEqual(['off', 'on']);
  expect(lab.powerLog(survivor).filter((e) => e.ts >= cutAt)).toEqual([]);
  // Fencer: one reboot incident, reported by the survivor: verified off, then powered on.
  const incidents = await incidentsSince(lab, cutAt - 1000);
  const fenced = incidents.filter((i) => i.state === 'fenced');
  expect(fenced.map((i) => [i.target, i.action, i.reporters])).toEqual([
    [loser, 'reboot', [survivor]],
  ]);
  expect(fenced[0]?.attempts.map((a) => a.outcome)).toEqual(['off', 'on']);
  expect(incidents.filter((i) => i.target === survivor)).toEqual([]);
  // The loser's own reboots of the survivor never succeeded (killed with it, or refused).
  const loserCalls = lab.agentCalls(loser).filter((c) => c.startMs >= cutAt);
  expect(loserCalls.filter((c) => c.action === 'reboot' && c.exit === 0)).toEqual([]);
  // The loser booted by itself, and waits, cut off, outside the cluster.
  expect(await lab.isOn(loser)).toBe(true);
  expect(await isCut(lab.names, loser)).toBe(true);
  const survivorView = await crmMon(lab, survivor);
  expect(survivorView?.nodes.find((n) => n.name === loser)?.online).toBe(false);
  expect(survivorView && runsOn(survivorView, dummyId)).toEqual([survivor]);

  // Act: the link heals; nobody unfences or powers on anything.
  const healedAt = Date.now();
  await healCorosync(lab.names);
  const stable = await waitStable(lab);

  // Assess: the loser online again in both views, with no power command since Fencer's.
  for (const node of labNodes) {
    const view = await crmMon(lab, node);
    expect(view?.nodes.find((n) => n.name === loser)?.online).toBe(true);
  }
  expect(stable.dummyOn).toBe(survivor);
  expect(powerChanges(lab, loser, cutAt)).toEqual(['off', 'on']);
  console.info(
    `[pacemaker] reboot: cut → power cut ${seen.off.ts - cutAt} ms, → agent exit 0 ${(seen.call.endMs ?? 0) - cutAt} ms, → power on ${seen.onAgain.ts - cutAt} ms; heal → stable ${Date.now() - healedAt} ms`,
  );
}

/**
 * An operator's reboot of the node the Dummy runs on. Phase 1 saw the agent answer only after
 * its own power-on, Pacemaker take the node's departure for unexpected and fence it again: the
 * node ended off. Now: one off, one on, and the node back in the cluster with nobody's help.
 */
async function manualReboot(): Promise<void> {
  const { lab } = boot;
  const target = (await waitStable(lab)).dummyOn;
  const survivor = labNodes.find((n) => n !== target) as LabNode;
  const stopSampler = startSampler(lab);
  let sampled = { samples: 0, onBoth: 0 };
  const t0 = Date.now();
  try {
    const reboot = await lab.inNode(
      survivor,
      ['stonith_admin', '--reboot', target, '--timeout', '90'],
      120_000,
    );
    expect(reboot.code, reboot.stderr).toBe(0);
    await waitStable(lab);
    // A second fence would follow the node's departure within seconds: give it the time.
    await sleep(5000);
  } finally {
    sampled = await stopSampler();
  }
  expect(sampled.onBoth).toBe(0);
  const history = await fenceHistory(lab, survivor);
  expect(history.filter((e) => e.target === target && (e.completedMs ?? 0) >= t0 - 1000)).toEqual([
    expect.objectContaining({ action: 'reboot', status: 'success' }),
  ]);
  const call = lab.agentCalls(survivor).find((c) => c.action === 'reboot' && c.startMs >= t0);
  expect(call).toMatchObject({ target, exit: 0, stdout: 'Success: Rebooted\n' });
  expect(powerChanges(lab, target, t0)).toEqual(['off', 'on']);
  expect(lab.powerLog(survivor).filter((e) => e.ts >= t0)).toEqual([]);
  const incidents = await incidentsSince(lab, t0 - 1000);
  expect(incidents.map((i) => [i.target, i.action, i.state, i.reporters])).toEqual([
    [target, 'reboot', 'fenced', [survivor]],
  ]);
  for (const node of labNodes)
    expect((await crmMon(lab, node))?.nodes.find((n) => n.name === target)?.online).toBe(true);
  console.info(
    `[pacemaker] stonith_admin --reboot: agent exit 0 after ${(call?.endMs ?? 0) - t0} ms, back in the cluster (stable) after ${Date.now() - t0 - 5000} ms`,
  );
}
