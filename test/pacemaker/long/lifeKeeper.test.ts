import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../support/daemons.ts';
import {
  fenceHistory,
  fencerView,
  incidentsSince,
  waitStable,
  withRestore,
} from '../support/labCluster.ts';
import { type LabBoot, theLab } from '../support/labInstance.ts';
import { type LabNode, labNodes } from '../support/labNames.ts';
import {
  cutCommPath,
  healCommPath,
  installHook,
  probeComm,
  runHook,
  startCommListener,
} from '../support/lifekeeper.ts';
import { waitFor } from '../support/shell.ts';

/**
 * The LifeKeeper side (issue 12, item 4): contrib/lifekeeper/fencer-prefailover run in one node
 * against the other, with the seed document's comm-path cut (`iptables -A INPUT -p tcp
 * --destination-port 7365 -j DROP`) in both nodes. It may exit 0 only when the peer is verified
 * off at its BMC; when Fencer refuses or cannot fence, it exits non-zero and nobody is powered
 * off. (Pacemaker keeps running in the lab meanwhile; it only ever joins what Fencer did.)
 */
const wait = 60;
const shortWait = 8;
const [a, b] = labNodes;
let boot: LabBoot;
const listeners: Daemon[] = [];

beforeAll(async () => {
  boot = await theLab();
  await waitStable(boot.lab);
  for (const node of labNodes) {
    await installHook(boot.lab, node, wait);
    await installHook(boot.lab, node, shortWait);
  }
});
afterAll(async () => {
  await healCommPath(boot.lab);
  await Promise.all(listeners.map((l) => l.stop()));
});

/** Comm listeners on both nodes (again after a reboot), then the seed document's cut. */
async function commPathCut(lab: LabBoot['lab']): Promise<void> {
  await healCommPath(lab);
  for (const node of labNodes) listeners.push(await startCommListener(lab, node));
  await waitFor(
    'the comm path up both ways',
    async () =>
      (await probeComm(lab, a, b)) === b && (await probeComm(lab, b, a)) === a ? true : undefined,
    { timeoutMs: 15_000, intervalMs: 250 },
  );
  await cutCommPath(lab);
  expect(await probeComm(lab, a, b)).toBe('');
  expect(await probeComm(lab, b, a)).toBe('');
}

const offCommands = (lab: LabBoot['lab'], since: number) =>
  lab.offCommandsSince(since).map((o) => o.node);

/**
 * Pacemaker, which still runs in the lab, sees the peer vanish and fences it itself (Fencer
 * answers from what it already did). Wait for that before anyone powers the peer on again:
 * otherwise Pacemaker's fence, arriving after an unfence, would power it off a second time.
 */
async function pacemakerCaughtUp(
  lab: LabBoot['lab'],
  survivor: LabNode,
  peer: LabNode,
  since: number,
) {
  await waitFor(
    `${survivor}'s Pacemaker to record ${peer} fenced`,
    async () => {
      const history = await fenceHistory(lab, survivor);
      return history.some(
        (e) => e.target === peer && e.status === 'success' && (e.completedMs ?? 0) >= since - 1000,
      )
        ? true
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

describe('LifeKeeper prefailover hook with the comm path cut', () => {
  it('exits non-zero, and nobody is powered off, while Fencer is down', async () => {
    await withRestore(boot.lab, async () => {
      const { lab } = boot;
      await commPathCut(lab);
      await lab.fencer.stopServe();
      const t0 = Date.now();
      const hook = await runHook(lab, a, b, shortWait);
      await lab.fencer.startServe();
      expect(hook.code, hook.stderr).not.toBe(0);
      expect(hook.stderr).toContain(`${b} is NOT verified fenced`);
      expect(hook.stderr).toContain('report not delivered');
      expect(hook.endMs - hook.startMs).toBeLessThan((shortWait + 10) * 1000);
      expect(offCommands(lab, t0)).toEqual([]);
    });
  });

  it('exits 0 only once the peer is verified off at its BMC, with one power cut', async () => {
    await withRestore(boot.lab, async () => {
      const { lab } = boot;
      await waitStable(lab);
      await commPathCut(lab);
      const t0 = Date.now();
      const hook = await runHook(lab, a, b, wait);
      expect(hook.code, hook.stderr).toBe(0);
      expect(hook.stdout).toMatch(new RegExp(`^${b} fenced \\(incident `));
      const cut = lab.powerOffsSince(t0);
      expect(cut.map((o) => o.node)).toEqual([b]);
      expect(cut[0]?.ts).toBeLessThan(hook.endMs);
      expect(await lab.isOn(b)).toBe(false);
      const fenced = (await incidentsSince(lab, t0 - 1000)).filter((i) => i.state === 'fenced');
      expect(fenced[0]).toMatchObject({ target: b, reporters: [a] });
      console.info(`[pacemaker] LifeKeeper hook: exit 0 after ${hook.endMs - t0} ms`);
      await pacemakerCaughtUp(lab, a, b, t0);
      expect(lab.powerOffsSince(t0).map((o) => o.node)).toEqual([b]);
    });
  });

  it('exits non-zero on a node Fencer holds fenced (powered on by hand): its peer is left alone', async () => {
    await withRestore(boot.lab, async () => {
      const { lab } = boot;
      // b was fenced above; the operator powers it on at its BMC, without unfencing it.
      expect((await fencerView(lab)).nodes.find((n) => n.name === b)?.state).toBe('fenced');
      await lab.powerOnByBmc(b);
      await waitFor('b booted', async () => ((await lab.isOn(b)) ? true : undefined), {
        timeoutMs: 15_000,
      });
      await commPathCut(lab);
      const t0 = Date.now();
      const hook = await runHook(lab, b, a, wait);
      expect(hook.code, hook.stderr).not.toBe(0);
      expect(hook.stderr).toContain('reporter-fenced');
      expect(hook.stderr).toContain(`${a} is NOT verified fenced`);
      expect(offCommands(lab, t0)).toEqual([]);
      expect(await lab.isOn(a)).toBe(true);
      // Back to a whole cluster: the operator unfences b.
      await lab.unfenceAndPowerOn(b);
      await waitStable(lab);
    });
  });

  it('both nodes run the hook at once: exactly one exits 0, exactly one node is powered off', async () => {
    await withRestore(boot.lab, async () => {
      const { lab } = boot;
      await waitStable(lab);
      await commPathCut(lab);
      const t0 = Date.now();
      const hooks = await Promise.all([runHook(lab, a, b, wait), runHook(lab, b, a, wait)]);
      const winners = hooks.filter((h) => h.code === 0);
      const summary = JSON.stringify(hooks.map((h) => [h.node, h.code, h.stderr.trim()]));
      expect(
        winners.map((h) => h.node),
        summary,
      ).toHaveLength(1);
      const survivor = winners[0]?.node as LabNode;
      const loser = labNodes.find((n) => n !== survivor) as LabNode;
      expect(lab.powerOffsSince(t0).map((o) => o.node)).toEqual([loser]);
      expect(await lab.isOn(survivor)).toBe(true);
      const fenced = (await incidentsSince(lab, t0 - 1000)).filter((i) => i.state === 'fenced');
      expect(fenced.map((i) => [i.target, i.reporters])).toEqual([[loser, [survivor]]]);
      // The loser's hook: killed with its node, or refused by Fencer; never 0.
      const lost = hooks.find((h) => h.node === loser);
      expect(lost?.code).not.toBe(0);
      console.info(`[pacemaker] LifeKeeper both at once: ${summary}`);
      await pacemakerCaughtUp(lab, survivor, loser, t0);
      expect(lab.powerOffsSince(t0).map((o) => o.node)).toEqual([loser]);
      await healCommPath(lab);
      await lab.unfenceAndPowerOn(loser);
      await waitStable(lab);
    });
  });
});
