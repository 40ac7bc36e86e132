import type { Clock } from '../../../core/clock.ts';
import type { FenceDriver } from '../../../core/drivers/types.ts';
import { DriverError } from '../../../core/errors.ts';
import type { PowerState } from '../../../core/protocol/power.ts';

export interface Script {
  /** Power state before any power-off. */
  initial?: PowerState;
  /** Delay between power-off and `off` (virtual ms); Infinity: never turns off. */
  offAfterMs?: number;
  /** Errors thrown by the first N powerOff calls. */
  offErrors?: DriverError[];
  /** What powerState answers after power-off until off (default 'on'). */
  whileStopping?: PowerState;
  /** Errors thrown by every powerState call. */
  stateError?: DriverError;
  /** powerOff never settles (a hung API that ignores its signal). */
  hang?: boolean;
}

/** A fake driver on virtual time that records every call. */
export function scriptedDriver(clock: Clock, script: Script, name = 'fake') {
  const calls: { op: string; at: number }[] = [];
  let offAt: number | undefined;
  const offErrors = [...(script.offErrors ?? [])];
  const driver: FenceDriver = {
    kind: 'dummy',
    description: name,
    async powerOff() {
      calls.push({ op: 'off', at: clock.now() });
      if (script.hang) return new Promise<void>(() => {});
      const err = offErrors.shift();
      if (err) throw err;
      offAt ??= clock.now() + (script.offAfterMs ?? 0);
    },
    async powerState() {
      calls.push({ op: 'status', at: clock.now() });
      if (script.stateError) throw script.stateError;
      if (offAt !== undefined && clock.now() >= offAt) return 'off';
      if (offAt !== undefined) return script.whileStopping ?? 'on';
      return script.initial ?? 'on';
    },
  };
  return { driver, calls, offCalls: () => calls.filter((c) => c.op === 'off').length };
}

export const throttled = (retryAfterMs: number) =>
  new DriverError('throttled', 'too many requests', { retryable: true, retryAfterMs });
export const denied = () =>
  new DriverError('auth-failed', 'permission denied for vm-1', { retryable: false });
