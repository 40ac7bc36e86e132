import { type Clock, timeoutSignal } from '../clock.ts';
import type { DriverEntry } from '../config/schema.ts';
import { untilAborted } from '../drivers/cloudCommon.ts';
import type { DriverSource } from '../drivers/driverCache.ts';
import { errorMessage } from '../errors.ts';
import type { PowerState } from '../protocol/power.ts';
import type { DevicePowerReading, NodePowerReading } from '../protocol/readiness.ts';
import { probeOf } from './probe.ts';

/**
 * A node's live power, read through its levels in order with the readiness probe (which has
 * no powerOff or powerOn to call): the first level that answers gives the answer. A level is
 * `off` only when every one of its devices reads off (the AND of a level: two PSUs), `on` when
 * any device reads on (one PSU feeds it); anything else — an error, no answer in time, a
 * device that reads unknown — leaves the level unanswered and the next one is read. No level
 * answering is `unknown`, never `off`.
 */
export async function readNodePower(
  deps: { drivers: DriverSource; clock: Clock },
  cluster: string,
  node: string,
  levels: readonly (readonly DriverEntry[])[],
  deadline: number,
): Promise<NodePowerReading> {
  const devices: DevicePowerReading[] = [];
  for (const [index, level] of levels.entries()) {
    // The time left is shared among the levels not read yet (as a fence shares its deadline),
    // so a hung level 1 still leaves level 2 its turn.
    const left = deadline - deps.clock.now();
    if (left <= 0) {
      devices.push(...level.map((entry) => notRead(index + 1, entry, 'not read: out of time')));
      continue;
    }
    const timeoutMs = Math.max(1, Math.floor(left / (levels.length - index)));
    const readings = await Promise.all(
      level.map((entry, device) =>
        readDevice(deps, { cluster, node, level: index + 1, device, entry }, timeoutMs),
      ),
    );
    devices.push(...readings);
    const state = levelState(readings.map((r) => r.powerState));
    if (state !== 'unknown')
      return {
        cluster,
        node,
        powerState: state,
        level: index + 1,
        detail: `level ${index + 1} reads ${state}: ${readings.map(describe).join('; ')}`,
        devices,
        checkedAt: new Date(deps.clock.now()).toISOString(),
      };
  }
  const detail =
    devices.length === 0
      ? `${node} has no fence levels`
      : `no level answered: ${devices.map((d) => `level ${d.level} ${describe(d)}`).join('; ')}`;
  return {
    cluster,
    node,
    powerState: 'unknown',
    detail,
    devices,
    checkedAt: new Date(deps.clock.now()).toISOString(),
  };
}

/** Off only when every device reads off; on when any reads on; otherwise no answer. */
export function levelState(states: readonly PowerState[]): PowerState {
  if (states.length > 0 && states.every((s) => s === 'off')) return 'off';
  return states.includes('on') ? 'on' : 'unknown';
}

const describe = (d: DevicePowerReading) => `${d.description || d.driver} ${d.detail}`;

function notRead(level: number, entry: DriverEntry, detail: string): DevicePowerReading {
  const driver = Object.keys(entry)[0] ?? 'unknown';
  return { level, driver, description: '', powerState: 'unknown', detail };
}

async function readDevice(
  deps: { drivers: DriverSource; clock: Clock },
  where: { cluster: string; node: string; level: number; device: number; entry: DriverEntry },
  timeoutMs: number,
): Promise<DevicePowerReading> {
  const started = deps.clock.now();
  const timer = timeoutSignal(deps.clock, timeoutMs);
  let reading = notRead(where.level, where.entry, '');
  try {
    const probe = probeOf(await deps.drivers.get(where.entry));
    reading = { ...reading, driver: probe.kind, description: probe.description };
    const target = {
      cluster: where.cluster,
      node: where.node,
      incidentId: 'power-read',
      attemptId: `power.${where.node}.${where.level}.${where.device}.${started}`,
      deadlineAt: started + timeoutMs,
    };
    // A driver that ignores its signal must not hold the answer past its time.
    const state = await untilAborted(probe.powerState(target, timer.signal), timer.signal);
    return { ...reading, powerState: state, detail: `reads ${state}` };
  } catch (err) {
    const detail = timer.signal.aborted
      ? `no answer within ${timeoutMs} ms`
      : `read failed: ${errorMessage(err)}`;
    return { ...reading, powerState: 'unknown', detail };
  } finally {
    timer.cancel();
  }
}
