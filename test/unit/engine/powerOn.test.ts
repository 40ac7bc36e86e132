import { describe, expect, it } from 'vitest';
import type { FenceDriver } from '../../../core/drivers/types.ts';
import { powerOnNode } from '../../../core/engine/powerOn.ts';
import { DriverError } from '../../../core/errors.ts';
import type { PowerState } from '../../../core/protocol/power.ts';
import { FakeClock } from '../../support/fakeClock.ts';

const target = { cluster: 'c', node: 'n', incidentId: 'inc-1', attemptId: 'a' };

/** A switch on virtual time: power-on takes `onAfterMs`, or fails, or never takes effect. */
function switchDriver(
  clock: FakeClock,
  opts: { onAfterMs?: number; fail?: boolean; canPowerOn?: boolean },
) {
  let onAt: number | undefined;
  const driver: FenceDriver = {
    kind: 'dummy',
    description: 'switch',
    async powerOff() {},
    async powerState(): Promise<PowerState> {
      return onAt !== undefined && clock.now() >= onAt ? 'on' : 'off';
    },
    ...(opts.canPowerOn === false
      ? {}
      : {
          async powerOn() {
            if (opts.fail) throw new DriverError('auth-failed', 'denied', { retryable: false });
            onAt = clock.now() + (opts.onAfterMs ?? 0);
          },
        }),
  };
  return driver;
}

describe('powerOnNode (unfence with power-on, a reboot’s second half)', () => {
  it('is `on` only once the power reads on', async () => {
    const clock = new FakeClock();
    const attempt = await clock.run(
      powerOnNode({
        levels: [[switchDriver(clock, { onAfterMs: 3_000 })]],
        target,
        clock,
        timeoutMs: 60_000,
      }),
    );
    expect(attempt).toMatchObject({ level: 1, outcome: 'on', detail: 'switch: verified on' });
  });

  it('uses the first level whose every device can power on', async () => {
    const clock = new FakeClock();
    const levels = [[switchDriver(clock, { canPowerOn: false })], [switchDriver(clock, {})]];
    const attempt = await clock.run(powerOnNode({ levels, target, clock, timeoutMs: 60_000 }));
    expect(attempt).toMatchObject({ level: 2, outcome: 'on' });
  });

  it('a refused power-on is an error, a switch that never turns on a timeout', async () => {
    const clock = new FakeClock();
    const refused = await clock.run(
      powerOnNode({
        levels: [[switchDriver(clock, { fail: true })]],
        target,
        clock,
        timeoutMs: 60_000,
      }),
    );
    expect(refused).toMatchObject({ outcome: 'error' });
    expect(refused?.detail).toContain('denied');
    const never = await clock.run(
      powerOnNode({
        levels: [[switchDriver(clock, { onAfterMs: Number.POSITIVE_INFINITY })]],
        target,
        clock,
        timeoutMs: 60_000,
      }),
    );
    expect(never).toMatchObject({ outcome: 'timeout' });
  });

  it('undefined when no level can power on', async () => {
    const clock = new FakeClock();
    const levels = [[switchDriver(clock, { canPowerOn: false })], []];
    expect(
      await clock.run(powerOnNode({ levels, target, clock, timeoutMs: 1_000 })),
    ).toBeUndefined();
  });
});
