import { type Clock, timeoutSignal } from '../core/clock.ts';
import type { PowerState } from '../core/protocol/power.ts';
import { type Problem, problem } from '../core/protocol/problems.ts';
import type { RelayActionRequest, RelayActionResponse, RelayStep } from '../core/protocol/relay.ts';
import { ExecError, resourceErrnos } from './errors.ts';
import type { CallContext, PowerExecutor, PowerReading } from './executors/types.ts';

/** An action's result: an answer (verified or not), or a problem (the command never landed). */
export type ActionOutcome =
  | { ok: true; response: RelayActionResponse }
  | { ok: false; problem: Problem };

/** Poll and retry pacing; tests shorten nothing, they run on a fake clock. */
export const pacing = {
  firstPollMs: 100,
  maxPollMs: 1000,
  firstRetryMs: 100,
  maxRetryMs: 1000,
  /** A call is not started with less than this left: it could not finish. */
  minCallMs: 50,
} as const;

/**
 * Runs one action within `deadlineMs`:
 * - `off` / `on`: send the command (busy and transient errors retried with backoff), then read
 *   the state at once and again from 100 ms apart (growing to 1 s) until it is the one asked
 *   for. Verified only when the device *said* so; at the deadline the answer is
 *   `verified: false` with the last state seen (a hung BMC, a slow VM).
 * - `status`: one successful read.
 * When the command itself cannot be delivered the outcome is a problem: `execution-failed`
 * (502) for what no retry can fix (auth, unknown VM), `deadline-exceeded` (504) when retries
 * ran out of time. Both carry the steps and `retryable` for the caller.
 * A small margin of the deadline is kept for answering, so the caller never times out first.
 */
export async function runAction(
  request: RelayActionRequest,
  executor: PowerExecutor,
  clock: Clock,
  /** When the request arrived: time spent waiting for the device counts against the deadline. */
  startedAt = clock.now(),
): Promise<ActionOutcome> {
  const deadlineAt = startedAt + request.deadlineMs - answerMarginMs(request.deadlineMs);
  const steps: RelayStep[] = [];
  const answer = (reading: PowerReading, verified: boolean): ActionOutcome => ({
    ok: true,
    response: {
      requestId: request.requestId,
      target: request.target,
      action: request.action,
      powerState: reading.state,
      verified,
      ...(reading.detail !== undefined ? { detail: reading.detail } : {}),
      elapsedMs: clock.now() - startedAt,
      steps,
    },
  });

  /** One call with the time that is left, retried while retryable and time remains. */
  const attempt = async <T>(what: string, fn: (call: CallContext) => Promise<T>): Promise<T> => {
    let delay: number = pacing.firstRetryMs;
    for (;;) {
      const left = deadlineAt - clock.now();
      if (left < pacing.minCallMs) throw new DeadlineError(`no time left for ${what}`);
      const timer = timeoutSignal(clock, Math.min(executor.callTimeoutMs, left));
      try {
        return await fn({
          timeoutMs: Math.min(executor.callTimeoutMs, left),
          signal: timer.signal,
          record: (step) => steps.push(step),
        });
      } catch (err) {
        const error = asExecError(err);
        // Out of file descriptors or processes here: answer at once (retryable), so the
        // caller retries later instead of this request holding on to what is short.
        if (!error.retryable || error.code === 'resources') throw error;
        if (clock.now() + delay >= deadlineAt) throw new DeadlineError(`${what}: ${error.message}`);
        await clock.sleep(delay);
        delay = Math.min(pacing.maxRetryMs, delay * 2);
      } finally {
        timer.cancel();
      }
    }
  };

  try {
    if (request.action === 'status') {
      const reading = await attempt('power status', (call) => executor.powerState(call));
      return answer(reading, reading.state !== 'unknown');
    }
    const wanted: PowerState = request.action;
    await attempt(`power ${wanted}`, (call) =>
      wanted === 'off' ? executor.powerOff(call) : executor.powerOn(call),
    );
    let last: PowerReading = { state: 'unknown', detail: 'no power state read yet' };
    let delay: number = pacing.firstPollMs;
    for (;;) {
      try {
        last = await attempt('power status', (call) => executor.powerState(call));
      } catch (err) {
        // The command landed; a state we cannot read is simply not verified. `last` stays
        // what was last seen.
        if (err instanceof DeadlineError || !asExecError(err).retryable) break;
      }
      if (last.state === wanted) return answer(last, true);
      if (clock.now() + delay >= deadlineAt) break;
      await clock.sleep(delay);
      delay = Math.min(pacing.maxPollMs, Math.round(delay * 1.5));
    }
    return answer(last, false);
  } catch (err) {
    const extensions = {
      requestId: request.requestId,
      target: request.target,
      action: request.action,
      elapsedMs: clock.now() - startedAt,
      steps,
    };
    if (err instanceof DeadlineError) {
      return {
        ok: false,
        problem: problem(
          'deadline-exceeded',
          `not done within ${request.deadlineMs} ms: ${err.message}`,
          {
            ...extensions,
            retryable: true,
          },
        ),
      };
    }
    const error = asExecError(err);
    return {
      ok: false,
      problem: problem('execution-failed', error.message, {
        ...extensions,
        reason: error.code,
        retryable: error.retryable,
      }),
    };
  } finally {
    // Best effort and not awaited: a slow vSphere logout must not push the answer past the
    // deadline.
    void executor.close?.().catch(() => undefined);
  }
}

/** The part of a deadline kept for answering, so the caller never times out first. */
export function answerMarginMs(deadlineMs: number): number {
  return Math.min(500, Math.floor(deadlineMs / 10));
}

class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

function asExecError(err: unknown): ExecError {
  if (err instanceof ExecError) return err;
  if (err instanceof DeadlineError) return new ExecError('timeout', err.message, { cause: err });
  // An aborted call (our own per-call timer) is a timeout like any other.
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return new ExecError('timeout', err.message, { cause: err });
  // e.g. EMFILE from the temporary password file of ipmitool's `-f`.
  if (resourceErrnos.has((err as NodeJS.ErrnoException | undefined)?.code ?? ''))
    return new ExecError('resources', err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  return new ExecError('failed', err instanceof Error ? err.message : String(err), {
    cause: err,
    retryable: false,
  });
}
