import { beforeAll, describe, expect, it } from 'vitest';
import { dummyId } from './support/cib.ts';
import {
  crmMon,
  dummyRunsOn,
  fenceHistory,
  incidentsSince,
  waitStable,
  withRestore,
} from './support/labCluster.ts';
import { type LabBoot, theLab } from './support/labInstance.ts';
import { type LabNode, labNodes } from './support/labNames.ts';
import { runsOn } from './support/pacemakerView.ts';
import { waitFor } from './support/shell.ts';

let boot: LabBoot;

beforeAll(async () => {
  boot = await theLab();
});

describe('scenario b: stonith_admin --fence through fence_fencer', () => {
  it('powers the node off once at its BMC, records success, and the Dummy moves to the survivor', async () => {
    await withRestore(boot.lab, manualFence);
  });
});

/** Fences the node the Dummy runs on, from the other one; leaves the cluster whole again. */
async function manualFence(): Promise<void> {
  // Prepare
  const { lab } = boot;
  const stable = await waitStable(lab);
  const target = stable.dummyOn;
  const survivor = labNodes.find((n) => n !== target) as LabNode;
  const t0 = Date.now();

  // Act
  const fence = await lab.inNode(
    survivor,
    ['stonith_admin', '--fence', target, '--timeout', '90'],
    120_000,
  );

  // Assess: Pacemaker's side.
  expect(fence.code, fence.stderr).toBe(0);
  const history = await fenceHistory(lab, survivor);
  const event = history.find((e) => e.target === target && (e.completedMs ?? 0) >= t0 - 1000);
  expect(event).toMatchObject({ action: 'off', status: 'success', delegate: survivor });
  const call = lab.agentCalls(survivor).find((c) => c.action === 'off' && c.startMs >= t0);
  expect(call).toMatchObject({ target, exit: 0 });
  expect(call?.stdout).toContain('Success: Powered OFF');
  // The power: exactly one power-off, at the target's BMC, and the target is gone.
  expect(lab.powerOffsSince(t0).map((o) => o.node)).toEqual([target]);
  expect(await lab.isOn(target)).toBe(false);
  const movedTo = await waitFor(
    'the Dummy to run on the survivor',
    async () => {
      const real = await dummyRunsOn(lab);
      const view = await crmMon(lab, survivor);
      return real.length === 1 &&
        real[0] === survivor &&
        view &&
        runsOn(view, dummyId)[0] === survivor
        ? real[0]
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  expect(movedTo).toBe(survivor);
  // Fencer's side: one incident, reported by the survivor, verified off through the relay.
  const incidents = await incidentsSince(lab, t0 - 1000);
  expect(incidents).toHaveLength(1);
  expect(incidents[0]).toMatchObject({ target, state: 'fenced', reporters: [survivor] });
  expect(incidents[0]?.attempts.at(-1)).toMatchObject({ driver: 'relay', outcome: 'off' });
  console.info(
    `[pacemaker] manual fence: stonith_admin ${call?.endMs && call.endMs - t0} ms to agent exit 0, BMC off after ${(lab.powerOffsSince(t0)[0]?.ts ?? 0) - t0} ms`,
  );

  // Back to a whole cluster for the next scenario (the operator unfences with power-on).
  await lab.unfenceAndPowerOn(target);
  await waitStable(lab);
}
