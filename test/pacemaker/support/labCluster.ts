import { existsSync } from 'node:fs';
import type { ClusterView, Incident } from '../../../core/protocol/api.ts';
import { deviceId, dummyId, pacemakerSetupCommands } from './cib.ts';
import { fencerCluster } from './fencerSide.ts';
import { type Lab, nodeSecretFile } from './lab.ts';
import { type LabNode, labNodes } from './labNames.ts';
import { healCorosync } from './network.ts';
import {
  type ClusterStatus,
  type FenceEvent,
  parseCrmMon,
  parseFenceHistory,
  runsOn,
} from './pacemakerView.ts';
import { waitFor } from './shell.ts';

/** crm_mon on a node (undefined when the node is off or its Pacemaker does not answer). */
export async function crmMon(lab: Lab, node: LabNode): Promise<ClusterStatus | undefined> {
  const result = await lab.inNode(
    node,
    ['crm_mon', '-1', '-r', '--include=failcounts', '--output-as=xml'],
    15_000,
  );
  if (result.code !== 0 || !result.stdout.includes('<pacemaker-result')) return undefined;
  return parseCrmMon(result.stdout);
}

/**
 * Every fence operation the node's fencer knows of. `--verbose`: without it 2.1.5 shows one
 * event per target, and not always the newest.
 */
export async function fenceHistory(lab: Lab, node: LabNode): Promise<FenceEvent[]> {
  const result = await lab.inNode(
    node,
    ['stonith_admin', '--history', '*', '--verbose', '--output-as=xml'],
    15_000,
  );
  return result.stdout.includes('<pacemaker-result') ? parseFenceHistory(result.stdout) : [];
}

/**
 * Where the Dummy really runs: its state file in the node's own /run (a tmpfs that dies with
 * the node), read from the host through the node's init. Not Pacemaker's opinion: the fact.
 */
export async function dummyRunsOn(lab: Lab, pids?: Map<LabNode, number>): Promise<LabNode[]> {
  const found: LabNode[] = [];
  for (const node of labNodes) {
    const pid = pids?.get(node) ?? (await lab.initPid(node));
    if (pid !== undefined && existsSync(`/proc/${pid}/root/run/Dummy-${dummyId}.state`))
      found.push(node);
  }
  return found;
}

export async function fencerView(lab: Lab): Promise<ClusterView> {
  const answer = await lab.fencer.admin.request('GET', `/v1/clusters/${fencerCluster}`);
  if (answer.status !== 200)
    throw new Error(`GET cluster: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as ClusterView;
}

/** Fencer's incidents created at or after `sinceMs`, oldest first. */
export async function incidentsSince(lab: Lab, sinceMs: number): Promise<Incident[]> {
  const answer = await lab.fencer.admin.request(
    'GET',
    `/v1/clusters/${fencerCluster}/incidents?limit=50`,
  );
  if (answer.status !== 200) throw new Error(`GET incidents: ${answer.status}`);
  return (answer.body as { incidents: Incident[] }).incidents
    .filter((i) => Date.parse(i.createdAt) >= sinceMs)
    .reverse();
}

/** Both nodes in one partition with quorum and the same DC, seen from each node. */
function formed(views: (ClusterStatus | undefined)[]): boolean {
  return views.every(
    (v) =>
      v?.dc !== undefined &&
      v.withQuorum &&
      v.dc === views[0]?.dc &&
      labNodes.every((n) => v.nodes.some((x) => x.name === n && x.online && !x.unclean)),
  );
}

export async function waitFormed(lab: Lab, timeoutMs = 120_000): Promise<void> {
  let last: (ClusterStatus | undefined)[] = [];
  await waitFor(
    'both nodes online in one partition',
    async () => {
      last = await Promise.all(labNodes.map((n) => crmMon(lab, n)));
      return formed(last) ? true : undefined;
    },
    {
      timeoutMs,
      intervalMs: 1000,
      detail: async () => JSON.stringify(last, (_k, v) => (v instanceof Map ? [...v] : v)),
    },
  );
}

/** The configuration of cib.ts, applied on the first node. */
export async function configureCluster(lab: Lab): Promise<void> {
  for (const argv of pacemakerSetupCommands(lab.fencer.urlForNodes, nodeSecretFile))
    await lab.inNodeOk(labNodes[0], argv);
}

export interface Stable {
  dc: string;
  deviceOn: string;
  dummyOn: LabNode;
}

/**
 * The steady state every scenario starts from: both nodes on and in one partition, the device
 * and the Dummy `Started` (not starting, not failed), the Dummy running on exactly one node (in
 * fact and in both views), and Fencer holding both nodes as `member` — the same on two polls
 * in a row, so a start or move in progress is not taken for the end state.
 */
export async function waitStable(lab: Lab, timeoutMs = 120_000): Promise<Stable> {
  let why = '';
  let previous = '';
  return waitFor(
    'a stable cluster',
    async () => {
      const views = await Promise.all(labNodes.map((n) => crmMon(lab, n)));
      if (!formed(views)) {
        why = 'not formed';
        previous = '';
        return undefined;
      }
      const device = views.map((v) => (v ? runsOn(v, deviceId) : []));
      const unsettled = views.some((v) =>
        v?.resources.some((r) => r.failed || (r.active && r.role !== 'Started')),
      );
      const dummy = views.map((v) => (v ? runsOn(v, dummyId) : []));
      const real = await dummyRunsOn(lab);
      const fencer = await fencerView(lab);
      const members = fencer.nodes.every((n) => n.state === 'member');
      why = JSON.stringify({ device, unsettled, dummy, real, fencer: fencer.nodes });
      const deviceOn = device[0]?.[0];
      const dummyOn = real[0];
      const settled =
        !unsettled &&
        members &&
        deviceOn !== undefined &&
        dummyOn !== undefined &&
        real.length === 1 &&
        device.every((d) => d.length === 1 && d[0] === deviceOn) &&
        dummy.every((d) => d.length === 1 && d[0] === dummyOn);
      if (!settled || !deviceOn || !dummyOn) {
        previous = '';
        return undefined;
      }
      const stable = { dc: views[0]?.dc ?? '', deviceOn, dummyOn };
      const seen = previous;
      previous = JSON.stringify(stable);
      return seen === previous ? stable : undefined;
    },
    { timeoutMs, intervalMs: 1000, detail: async () => why },
  );
}

/**
 * After a scenario that failed half-way: heal any cut, start Fencer if it is stopped, and power
 * on every node that is off (unfenced at Fencer with power-on when Fencer holds it fenced, else
 * at its BMC), so the next scenario starts from a whole cluster rather than failing too.
 */
export async function restoreLab(lab: Lab): Promise<void> {
  await healCorosync(lab.names);
  if (!lab.fencer.serve || lab.fencer.serve.exited()) await lab.fencer.startServe();
  const held = await fencerView(lab);
  for (const node of labNodes) {
    const state = held.nodes.find((n) => n.name === node)?.state;
    if (state === 'fenced' || state === 'failed') await lab.unfenceAndPowerOn(node);
    if (!(await lab.isOn(node))) await lab.powerOnByBmc(node);
  }
}

/** Runs a scenario; when it throws (an assertion too), restores the lab before passing it on. */
export async function withRestore<T>(lab: Lab, scenario: () => Promise<T>): Promise<T> {
  try {
    return await scenario();
  } catch (err) {
    await restoreLab(lab).catch((restoreErr) =>
      console.error(`[pacemaker] restoring the lab failed: ${String(restoreErr)}`),
    );
    throw err;
  }
}
