import { createHash } from 'node:crypto';
import { type Clock, timeoutSignal } from '../clock.ts';
import type { ClusterConfig, DriverEntry } from '../config/schema.ts';
import { untilAborted } from '../drivers/cloudCommon.ts';
import type { DriverSource } from '../drivers/driverCache.ts';
import { errorMessage } from '../errors.ts';
import { type DeviceResult, deviceResult } from './evaluate.ts';
import { probeOf } from './probe.ts';

/** One device of one level of one node, as the config defines it. */
export interface ConfiguredDevice {
  node: string;
  level: number;
  index: number;
  entry: DriverEntry;
  fingerprint: string;
  /** Checks of one cloud subscription/account or relay are spread over the interval. */
  account: string;
}

export function configuredDevices(cluster: ClusterConfig): ConfiguredDevice[] {
  return Object.entries(cluster.nodes).flatMap(([node, config]) =>
    config.levels.flatMap((devices, levelIndex) =>
      devices.map((entry, index) => ({
        node,
        level: levelIndex + 1,
        index,
        entry,
        fingerprint: createHash('sha256').update(JSON.stringify(entry)).digest('hex').slice(0, 16),
        account: accountOf(entry),
      })),
    ),
  );
}

function accountOf(entry: DriverEntry): string {
  if (entry['azure-vm']) return `azure:${entry['azure-vm'].subscriptionId}`;
  if (entry['aws-ec2']) return `aws:${entry['aws-ec2'].region}`;
  if (entry.relay) return `relay:${entry.relay.relay}`;
  return 'local';
}

/** A readiness check of one device: the driver's own non-destructive checks, or a state read. */
export async function checkDevice(
  device: ConfiguredDevice,
  cluster: string,
  deps: { drivers: DriverSource; clock: Clock },
  timeoutMs: number,
): Promise<DeviceResult & { driver: string; description: string }> {
  const timer = timeoutSignal(deps.clock, timeoutMs);
  const target = {
    cluster,
    node: device.node,
    incidentId: 'readiness',
    attemptId: `readiness.${device.node}.${device.level}.${device.index}.${deps.clock.now()}`,
  };
  let described = { driver: Object.keys(device.entry)[0] ?? 'unknown', description: '' };
  try {
    const probe = probeOf(await deps.drivers.get(device.entry));
    described = { driver: probe.kind, description: probe.description };
    // A driver that ignores its signal must not hold the check past its time.
    const result = probe.check
      ? deviceResult(await untilAborted(probe.check(target, timer.signal), timer.signal))
      : deviceResult([], await untilAborted(probe.powerState(target, timer.signal), timer.signal));
    return { ...described, ...result };
  } catch (err) {
    const detail = timer.signal.aborted
      ? `no answer within ${timeoutMs} ms`
      : `check failed: ${errorMessage(err)}`;
    return { ...described, status: 'failing', powerState: 'unknown', detail };
  } finally {
    timer.cancel();
  }
}
