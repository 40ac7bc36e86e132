import type { DriverCheck } from '../drivers/types.ts';
import type { PowerState } from '../protocol/power.ts';
import type { DeviceStatus, NodeReadiness } from '../protocol/readiness.ts';

/** A device's check result before it is stored. */
export interface DeviceResult {
  status: 'ok' | 'failing';
  powerState: PowerState;
  detail: string;
}

/**
 * What a device's checks mean for readiness: ok only when every check passed and the power state
 * was read (`on` or `off`: a member node read off is still ready, and the detail says so).
 */
export function deviceResult(checks: readonly DriverCheck[], read?: PowerState): DeviceResult {
  const powerState =
    checks.find((c) => c.powerState !== undefined)?.powerState ?? read ?? 'unknown';
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    const detail = failed.map((c) => `${c.name}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
    return { status: 'failing', powerState, detail: detail.join('; ') };
  }
  if (powerState === 'unknown')
    return { status: 'failing', powerState, detail: 'the power state reads unknown' };
  const passed = checks.map((c) => c.detail).join('; ') || `power state reads ${powerState}`;
  // A fence path that works on a node that is down: still ready, and worth a word.
  const down = powerState === 'off' ? 'reads off (the node is down; its fence path works); ' : '';
  return { status: 'ok', powerState, detail: `${down}${passed}` };
}

/** A node's readiness from its levels' device statuses (DESIGN "Readiness"). */
export function nodeReadiness(levels: readonly (readonly DeviceStatus[])[]): NodeReadiness {
  const fullyOk = (level: readonly DeviceStatus[]) =>
    level.length > 0 && level.every((s) => s === 'ok');
  const all = levels.flat();
  if (all.length === 0 || all.every((s) => s === 'unchecked')) return 'unchecked';
  if (fullyOk(levels[0] ?? [])) return 'ready';
  if (levels.slice(1).some(fullyOk)) return 'degraded';
  // Nothing fully ok yet, but an unchecked device could still complete a level.
  return all.includes('unchecked') ? 'unchecked' : 'unfenceable';
}
