import type { ArbiterDeps } from '../arbiter/arbiter.ts';
import { type ClusterState, nodeRecord, nodeState } from '../arbiter/state.ts';
import type { DriverSource } from '../drivers/driverCache.ts';
import type { IncidentLedger } from '../ledger/ledger.ts';
import type { Log } from '../log.ts';
import type { EventSink } from '../notifications/events.ts';
import { noteReadinessChanges } from './changes.ts';
import { type ConfiguredDevice, checkDevice, configuredDevices } from './deviceChecks.ts';
import { reviveReadOn } from './revive.ts';
import type { DeviceRecord, ReadinessStore } from './types.ts';

export interface ReadinessDeps extends ArbiterDeps {
  readiness: ReadinessStore;
  incidents: IncidentLedger;
  drivers: DriverSource;
  events: EventSink;
  log: Log;
}

/** A check that takes longer than this is failing ("no answer"). */
const checkTimeoutMs = 20_000;

/**
 * One readiness tick (the Functions timer, or the local host's loop): checks the devices that
 * are due — never checked, or checked an interval ago — of every node that is not being
 * fenced, at most a fair share of each subscription/account/relay per tick so that their
 * checks spread over the interval. Stores the results, notices readiness changes, and brings
 * back a fenced node that a check read powered on.
 */
export async function runReadinessTick(deps: ReadinessDeps, tickMs: number): Promise<number> {
  let checked = 0;
  for (const [cluster, config] of Object.entries(deps.config.clusters)) {
    const intervalMs = config.readinessIntervalSeconds * 1000;
    if (intervalMs === 0) continue;
    const { state } = await deps.clusters.read(cluster);
    const records = await deps.readiness.devices(cluster);
    const devices = configuredDevices(config).filter((d) => checkable(state, d.node, deps));
    const changedAt = (node: string) => nodeRecord(state, node)?.at;
    const due = pickDue(devices, records, deps.clock.now(), intervalMs, tickMs, changedAt);
    const fresh = await checkAll(deps, cluster, due, records);
    checked += fresh.length;
    const revived = await reviveReadOn(deps, cluster, state, config, [...records, ...fresh]);
    await noteReadinessChanges(deps, cluster, config, revived);
  }
  return checked;
}

/** Nodes being fenced, or powered on by Fencer right now, are left alone. */
function checkable(state: ClusterState, node: string, deps: ReadinessDeps): boolean {
  const held = nodeRecord(state, node);
  if (nodeState(state, node) === 'fencing') return false;
  return !(held?.poweringOn && held.poweringOn.until > deps.clock.now());
}

const recordOf = (records: DeviceRecord[], d: ConfiguredDevice) =>
  records.find(
    (r) =>
      r.node === d.node &&
      r.level === d.level &&
      r.index === d.index &&
      r.fingerprint === d.fingerprint,
  );

/**
 * Due devices, the least recently checked first, a fair share of each account per tick. A
 * device is due an interval after its last check, or at once when its node changed state
 * since (a fence just ended: the views should not show the power it had before).
 */
export function pickDue(
  devices: ConfiguredDevice[],
  records: DeviceRecord[],
  now: number,
  intervalMs: number,
  tickMs: number,
  changedAt: (node: string) => number | undefined = () => undefined,
): ConfiguredDevice[] {
  const picked: ConfiguredDevice[] = [];
  const accounts = new Map<string, ConfiguredDevice[]>();
  for (const d of devices) accounts.set(d.account, [...(accounts.get(d.account) ?? []), d]);
  for (const [account, group] of accounts) {
    // Local devices (lab switches) have no API to throttle; cloud and relay accounts do.
    const share =
      account === 'local'
        ? group.length
        : Math.max(1, Math.ceil((group.length * tickMs) / intervalMs));
    const lastChecked = (d: ConfiguredDevice) => recordOf(records, d)?.checkedAt ?? -1;
    const due = group
      .filter(
        (d) =>
          lastChecked(d) < 0 ||
          now - lastChecked(d) >= intervalMs ||
          lastChecked(d) < (changedAt(d.node) ?? -1),
      )
      .sort((a, b) => lastChecked(a) - lastChecked(b));
    picked.push(...due.slice(0, share));
  }
  return picked;
}

/** Runs the checks (accounts in parallel, one at a time within an account) and stores them. */
async function checkAll(
  deps: ReadinessDeps,
  cluster: string,
  due: ConfiguredDevice[],
  records: DeviceRecord[],
): Promise<DeviceRecord[]> {
  const byAccount = new Map<string, ConfiguredDevice[]>();
  for (const d of due) byAccount.set(d.account, [...(byAccount.get(d.account) ?? []), d]);
  const fresh: DeviceRecord[] = [];
  await Promise.all(
    [...byAccount.values()].map(async (group) => {
      for (const device of group) {
        const checkedAt = deps.clock.now();
        const result = await checkDevice(device, cluster, deps, checkTimeoutMs);
        const before = recordOf(records, device);
        const record: DeviceRecord = {
          node: device.node,
          level: device.level,
          index: device.index,
          fingerprint: device.fingerprint,
          ...result,
          checkedAt,
          since: before?.status === result.status ? before.since : checkedAt,
        };
        await deps.readiness.putDevice(cluster, record);
        fresh.push(record);
      }
    }),
  );
  return fresh;
}
