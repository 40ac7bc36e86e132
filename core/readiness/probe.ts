import type { DriverCheck, FenceDriver, FenceTarget } from '../drivers/types.ts';
import type { PowerState } from '../protocol/power.ts';

/**
 * The part of a driver a readiness check may use: reading, never acting. A check receives only
 * this (built by `probeOf`, which copies these members and nothing else), so calling powerOff
 * or powerOn from a check does not compile, and there is nothing to call at run time either.
 */
export interface ReadinessProbe {
  readonly kind: FenceDriver['kind'];
  readonly description: string;
  powerState(target: FenceTarget, signal: AbortSignal): Promise<PowerState>;
  check?(target: FenceTarget, signal: AbortSignal): Promise<DriverCheck[]>;
}

export function probeOf(driver: FenceDriver): ReadinessProbe {
  const check = driver.check?.bind(driver);
  return {
    kind: driver.kind,
    description: driver.description,
    powerState: driver.powerState.bind(driver),
    ...(check ? { check } : {}),
  };
}
