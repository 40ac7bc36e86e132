import { type Clock, timeoutSignal } from '../clock.ts';
import type { FenceDriver, FenceTarget } from '../drivers/types.ts';
import { errorMessage } from '../errors.ts';
import type { Attempt } from '../protocol/api.ts';

export interface PowerOnRun {
  /** The node's levels in order (an empty level could not be built). */
  levels: readonly (readonly FenceDriver[])[];
  target: FenceTarget;
  clock: Clock;
  timeoutMs: number;
}

const firstPollMs = 250;
const maxPollMs = 2_000;

/**
 * Powers a node on through the first level whose every device can (an unfence with power-on,
 * or the second half of a reboot), then reads the power until every device says `on`. The
 * attempt's outcome is `on` only when that was observed; otherwise `timeout` or `error`.
 * Undefined when no level can power on.
 */
export async function powerOnNode(run: PowerOnRun): Promise<Attempt | undefined> {
  const index = run.levels.findIndex((l) => l.length > 0 && l.every((d) => d.powerOn));
  const drivers = run.levels[index];
  if (!drivers) return undefined;
  const startedAt = new Date(run.clock.now()).toISOString();
  const done = (outcome: Attempt['outcome'], detail: string): Attempt => ({
    level: index + 1,
    driver: [...new Set(drivers.map((d) => d.kind))].join('+'),
    startedAt,
    endedAt: new Date(run.clock.now()).toISOString(),
    outcome,
    detail: `${drivers.map((d) => d.description).join(', ')}: ${detail}`.slice(0, 2000),
  });
  const timer = timeoutSignal(run.clock, run.timeoutMs);
  try {
    await Promise.all(drivers.map((d) => d.powerOn?.(run.target, timer.signal)));
    for (let delay = 0; ; delay = Math.min(maxPollMs, Math.max(firstPollMs, delay * 2))) {
      await run.clock.sleep(delay, timer.signal);
      const states = await Promise.all(drivers.map((d) => d.powerState(run.target, timer.signal)));
      if (states.every((s) => s === 'on')) return done('on', 'verified on');
    }
  } catch (err) {
    if (timer.signal.aborted) return done('timeout', `not seen on within ${run.timeoutMs} ms`);
    return done('error', `power on failed: ${errorMessage(err)}`);
  } finally {
    timer.cancel();
  }
}
