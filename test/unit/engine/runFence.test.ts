import { describe, expect, it } from 'vitest';
import type { FenceDriver } from '../../../core/drivers/types.ts';
import { runFence } from '../../../core/engine/runFence.ts';
import { DriverError } from '../../../core/errors.ts';
import type { Attempt } from '../../../core/protocol/api.ts';
import { FakeClock } from '../../support/fakeClock.ts';
import { denied, scriptedDriver, throttled } from './scriptedDriver.ts';

const target = { cluster: 'c', node: 'n', incidentId: 'inc-1' };

function fence(
  clock: FakeClock,
  levels: FenceDriver[][],
  deadlineSeconds = 120,
  extra: Partial<Parameters<typeof runFence>[0]> = {},
) {
  const recorded: Attempt[] = [];
  const result = clock.run(
    runFence({
      target,
      levels,
      deadlineAt: clock.now() + deadlineSeconds * 1000,
      clock,
      onAttempt: async (a) => void recorded.push(a),
      ...extra,
    }),
  );
  return { result, recorded };
}

describe('runFence: verification', () => {
  it('fences only after the driver observes off', async () => {
    // Prepare
    const clock = new FakeClock();
    const d = scriptedDriver(clock, { offAfterMs: 3000 });
    // Act
    const { result, recorded } = fence(clock, [[d.driver]]);
    // Assess
    expect(await result).toMatchObject({ outcome: 'fenced', level: 1 });
    expect(d.offCalls()).toBe(1);
    expect(recorded).toEqual([expect.objectContaining({ level: 1, outcome: 'off' })]);
    const lastStatus = d.calls.filter((c) => c.op === 'status').at(-1);
    expect(lastStatus?.at).toBeGreaterThanOrEqual(clock.now() - 2000);
  });

  it('does not power off a target that is already off', async () => {
    const clock = new FakeClock();
    const d = scriptedDriver(clock, { initial: 'off' });
    expect(await fence(clock, [[d.driver]]).result).toMatchObject({ outcome: 'fenced' });
    expect(d.offCalls()).toBe(0);
  });

  it('fails at the deadline when the target never turns off (ignore)', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const d = scriptedDriver(clock, { offAfterMs: Number.POSITIVE_INFINITY });
    const { result, recorded } = fence(clock, [[d.driver]], 30);
    expect(await result).toMatchObject({ outcome: 'failed' });
    expect(recorded[0]).toMatchObject({ outcome: 'timeout' });
    expect(clock.now() - start).toBe(30_000);
  });

  it('treats unknown as a failure, never success', async () => {
    const clock = new FakeClock();
    const d = scriptedDriver(clock, {
      offAfterMs: Number.POSITIVE_INFINITY,
      whileStopping: 'unknown',
    });
    expect(await fence(clock, [[d.driver]], 10).result).toMatchObject({ outcome: 'failed' });
  });

  it('does not hang on a driver that ignores its signal', async () => {
    const clock = new FakeClock();
    const d = scriptedDriver(clock, { hang: true });
    const { result, recorded } = fence(clock, [[d.driver]], 10);
    expect(await result).toMatchObject({ outcome: 'failed' });
    expect(recorded[0]?.outcome).toBe('timeout');
  });
});

describe('runFence: levels', () => {
  it('moves to level 2 when level 1 fails, sharing the time left', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const broken = scriptedDriver(clock, { offAfterMs: Number.POSITIVE_INFINITY }, 'ipmi');
    const pdu = scriptedDriver(clock, { offAfterMs: 500 }, 'pdu');
    const { result, recorded } = fence(clock, [[broken.driver], [pdu.driver]], 120);
    expect(await result).toMatchObject({ outcome: 'fenced', level: 2 });
    expect(recorded.map((a) => [a.level, a.outcome])).toEqual([
      [1, 'timeout'],
      [2, 'off'],
    ]);
    // Level 1 got half of the deadline, so level 2 had the other half.
    expect(Date.parse(recorded[0]?.endedAt ?? '') - start).toBe(60_000);
  });

  it('requires every device of a level (AND) and stops the others when one fails', async () => {
    const clock = new FakeClock();
    const psu1 = scriptedDriver(clock, { offAfterMs: 100 }, 'psu1');
    const psu2 = scriptedDriver(clock, { offErrors: [denied()] }, 'psu2');
    const { result, recorded } = fence(clock, [[psu1.driver, psu2.driver]], 60);
    expect(await result).toMatchObject({ outcome: 'failed' });
    expect(recorded.map((a) => a.outcome).sort()).toEqual(['aborted', 'error']);
  });

  it('honours a fixed level timeout', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const a = scriptedDriver(clock, { offAfterMs: Number.POSITIVE_INFINITY });
    const b = scriptedDriver(clock, { offAfterMs: 0 });
    const { result, recorded } = fence(clock, [[a.driver], [b.driver]], 240, {
      levelTimeoutMs: 5000,
    });
    expect(await result).toMatchObject({ outcome: 'fenced', level: 2 });
    expect(Date.parse(recorded[0]?.endedAt ?? '') - start).toBe(5000);
  });
});

describe('runFence: retries', () => {
  it('retries throttling after the server-given Retry-After', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const d = scriptedDriver(clock, { offErrors: [throttled(7000), throttled(7000)] });
    const { result, recorded } = fence(clock, [[d.driver]]);
    expect(await result).toMatchObject({ outcome: 'fenced' });
    expect(d.offCalls()).toBe(3);
    expect(d.calls.filter((c) => c.op === 'off').map((c) => c.at - start)).toEqual([
      0, 7000, 14000,
    ]);
    expect(recorded[0]?.detail).toContain('2 retries');
  });

  it('gives up after 3 retries', async () => {
    const clock = new FakeClock();
    const err = new DriverError('unavailable', '503', { retryable: true });
    const d = scriptedDriver(clock, { offErrors: [err, err, err, err, err] });
    expect(await fence(clock, [[d.driver]]).result).toMatchObject({ outcome: 'failed' });
    expect(d.offCalls()).toBe(4);
  });

  it('ends the level at once on an error that cannot succeed on retry', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const d = scriptedDriver(clock, { offErrors: [denied()] });
    const { result, recorded } = fence(clock, [[d.driver]]);
    expect(await result).toMatchObject({ outcome: 'failed', detail: 'every fence level failed' });
    expect(d.offCalls()).toBe(1);
    expect(recorded[0]).toMatchObject({ outcome: 'error' });
    expect(recorded[0]?.detail).toContain('[auth-failed]');
    expect(clock.now() - start).toBeLessThan(1000);
  });
});

describe('runFence: abort', () => {
  it('stops without a verdict when its signal aborts', async () => {
    const clock = new FakeClock();
    const d = scriptedDriver(clock, { offAfterMs: Number.POSITIVE_INFINITY });
    const stop = new AbortController();
    const stopping: FenceDriver = {
      ...d.driver,
      powerOff: async (t, signal) => {
        await d.driver.powerOff(t, signal);
        stop.abort(new Error('shutdown'));
      },
    };
    const run = runFence({
      target,
      levels: [[stopping]],
      deadlineAt: clock.now() + 60_000,
      clock,
      signal: stop.signal,
    });
    expect(await clock.run(run)).toMatchObject({ outcome: 'aborted' });
  });
});
