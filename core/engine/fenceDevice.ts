import { type Clock, TimeoutError } from '../clock.ts';
import type { FenceDriver, FenceTarget } from '../drivers/types.ts';
import { DriverError, errorMessage } from '../errors.ts';
import type { Attempt } from '../protocol/api.ts';
import type { PowerState } from '../protocol/power.ts';
import { backoffMs, type FencePolicy } from './policy.ts';

export interface DeviceRun {
  driver: FenceDriver;
  target: FenceTarget;
  level: number;
  /** Aborts at the level's timeout (or when the level is given up / the worker stops). */
  signal: AbortSignal;
  clock: Clock;
  policy: FencePolicy;
}

/**
 * One device of one level: read state → power off (retried) → poll until observed off.
 * The only success is a driver reporting `off`. Timeout, `unknown` and errors are failures.
 */
export async function fenceDevice(run: DeviceRun): Promise<Attempt> {
  const { driver, clock } = run;
  const startedAt = new Date(clock.now()).toISOString();
  const notes: string[] = [];
  const done = (outcome: Attempt['outcome'], detail: string): Attempt => ({
    level: run.level,
    driver: driver.kind,
    startedAt,
    endedAt: new Date(clock.now()).toISOString(),
    outcome,
    detail: [`${driver.description}: ${detail}`, ...notes].join('; ').slice(0, 2000),
  });

  try {
    // Reading first keeps retries and redeliveries from powering off twice (one fence per incident).
    const before = await readState(run).catch((err) => {
      notes.push(`initial status failed: ${errorMessage(err)}`);
      return 'unknown' as const;
    });
    if (before === 'off') return done('off', 'already off');

    const retries = await withRetries(run, 'power off', () =>
      driver.powerOff(run.target, run.signal),
    );
    if (retries > 0) notes.push(`power off needed ${retries} retr${retries === 1 ? 'y' : 'ies'}`);

    // The first read follows the power-off at once: drivers that wait for their API (Azure's
    // operation, the relay's own verification) often already see the target off.
    let delay = 0;
    let last: PowerState = 'unknown';
    let errors = 0;
    for (;;) {
      await clock.sleep(delay, run.signal);
      delay =
        delay === 0
          ? run.policy.pollInitialMs
          : Math.min(run.policy.pollMaxMs, delay * run.policy.pollFactor);
      try {
        last = await readState(run);
        errors = 0;
      } catch (err) {
        if (!isRetryable(err) || ++errors >= run.policy.pollErrorLimit) throw err;
        continue;
      }
      if (last === 'off') return done('off', 'verified off');
    }
  } catch (err) {
    if (run.signal.aborted) {
      const reason: unknown = run.signal.reason;
      if (reason instanceof TimeoutError)
        return done('timeout', `not verified off within ${reason.ms} ms`);
      return done('aborted', `stopped: ${errorMessage(reason)}`);
    }
    const code = err instanceof DriverError ? ` [${err.code}]` : '';
    return done('error', `${errorMessage(err)}${code}`);
  }
}

function readState(run: DeviceRun): Promise<PowerState> {
  return abortable(run.driver.powerState(run.target, run.signal), run.signal);
}

function isRetryable(err: unknown): boolean {
  return err instanceof DriverError
    ? err.retryable
    : !(err instanceof Error && err.name === 'AbortError');
}

/** Runs `call` with up to `policy.retries` retries on retryable errors; returns the retry count. */
async function withRetries(
  run: DeviceRun,
  what: string,
  call: () => Promise<void>,
): Promise<number> {
  for (let n = 0; ; n++) {
    try {
      await abortable(call(), run.signal);
      return n;
    } catch (err) {
      if (run.signal.aborted || !isRetryable(err) || n >= run.policy.retries) {
        throw new DriverError(
          err instanceof DriverError ? err.code : 'driver-error',
          `${what} failed${n > 0 ? ` after ${n} retries` : ''}: ${errorMessage(err)}`,
          { cause: err },
        );
      }
      const retryAfter = err instanceof DriverError ? err.retryAfterMs : undefined;
      await run.clock.sleep(backoffMs(run.policy, n, retryAfter), run.signal);
    }
  }
}

/** A driver that ignores its signal must not hold the engine past the level's timeout. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The call was made with the aborted signal and will reject on its own; unobserved, that
    // rejection would be unhandled and take the whole host down.
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
