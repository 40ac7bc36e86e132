import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock.ts';
import type { FenceDriver } from '../../../core/drivers/types.ts';
import { runFence } from '../../../core/engine/runFence.ts';

/**
 * A level that times out during its first status read: the engine then still makes the
 * power-off call with the aborted signal, and the driver rejects it later (as axios does for a
 * relay that never answered). That late rejection must be observed: unhandled, it ends the host
 * process, which is what a silent relay did to `fencer serve` (test/e2e/faultsRelay.test.ts).
 * Vitest fails the run on an unhandled rejection.
 */
describe('calls the engine abandons at a level timeout', () => {
  it('do not leave unhandled rejections behind; the next level still fences', async () => {
    // Prepare: level 1 hangs on status (ignoring its signal), rejects power-off a moment later.
    let offCalls = 0;
    const silent: FenceDriver = {
      kind: 'relay',
      description: 'silent relay',
      powerState: () => new Promise(() => {}),
      powerOff: async (_target, signal) => {
        offCalls++;
        await new Promise((r) => setTimeout(r, 5));
        throw new Error(`canceled (signal aborted: ${signal.aborted})`);
      },
    };
    let power: 'on' | 'off' = 'on';
    const fallback: FenceDriver = {
      kind: 'dummy',
      description: 'dummy',
      powerState: async () => power,
      powerOff: async () => {
        power = 'off';
      },
    };

    // Act
    const result = await runFence({
      target: { cluster: 'c', node: 'n', incidentId: 'i' },
      levels: [[silent], [fallback]],
      deadlineAt: Date.now() + 2_000,
      levelTimeoutMs: 100,
      clock: systemClock,
    });
    await new Promise((r) => setTimeout(r, 50));

    // Assess
    expect(result.outcome).toBe('fenced');
    expect(result.attempts.map((a) => [a.level, a.outcome])).toEqual([
      [1, 'timeout'],
      [2, 'off'],
    ]);
    expect(offCalls).toBe(1);
  });
});
