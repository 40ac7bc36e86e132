import { systemClock } from '../../../core/clock.ts';
import type { DriverFactoryContext } from '../../../core/drivers/registry.ts';
import type { FenceTarget } from '../../../core/drivers/types.ts';
import { FencerError } from '../../../core/errors.ts';

/** What the composition root would hand a driver, with secrets from a map instead of the env. */
export function driverContext(
  secrets: Record<string, string> = {},
  baseDir = '/',
): DriverFactoryContext {
  return {
    clock: systemClock,
    baseDir,
    relays: {},
    secret(ref) {
      const value = secrets[ref];
      if (value === undefined) throw new FencerError('secret-missing', `${ref} is not set`);
      return value;
    },
  };
}

export const target: FenceTarget = {
  cluster: 'prod-db',
  node: 'node-b',
  incidentId: 'inc-1',
  attemptId: 'inc-1.1',
};

/** A signal for one driver call: generous, so a hang fails the test instead of passing it. */
export function callSignal(ms = 10_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

/** Polls like the engine does, until the state is `off` or the time is up. */
export async function pollUntilOff(
  read: () => Promise<string>,
  timeoutMs = 5_000,
): Promise<{ states: string[]; ms: number }> {
  const started = Date.now();
  const states: string[] = [];
  while (Date.now() - started < timeoutMs) {
    const state = await read();
    states.push(state);
    if (state === 'off') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { states, ms: Date.now() - started };
}
