import { randomBytes } from 'node:crypto';
import { type Clock, timeoutSignal } from '../clock.ts';
import type { FenceDriver, FenceTarget } from '../drivers/types.ts';
import type { Attempt } from '../protocol/api.ts';
import { fenceDevice } from './fenceDevice.ts';
import { defaultPolicy, type FencePolicy } from './policy.ts';

export interface FenceRequest {
  target: Omit<FenceTarget, 'attemptId' | 'deadlineAt'>;
  /** The node's levels in order; all devices of a level must be verified off (AND). */
  levels: readonly (readonly FenceDriver[])[];
  /** Epoch ms: `fencingAt + fenceDeadlineSeconds`. No level runs past it. */
  deadlineAt: number;
  /** Fixed per-level timeout; default: the time left shared evenly among the levels not yet tried. */
  levelTimeoutMs?: number;
  /** Levels already given up in an earlier run (after a crash), so they are not tried again. */
  firstLevel?: number;
  clock: Clock;
  /** Aborts the run without a verdict (worker shutting down, lease lost): outcome `aborted`. */
  signal?: AbortSignal;
  /** Called as each device attempt ends, so every attempt reaches the ledger as it happens. */
  onAttempt?: (attempt: Attempt) => Promise<void>;
  policy?: FencePolicy;
}

export interface FenceResult {
  outcome: 'fenced' | 'failed' | 'aborted';
  /** 1-based level that verified the target off. */
  level?: number;
  attempts: Attempt[];
  detail: string;
}

/** Tries the levels in order until one verifies the target off, or time runs out. */
export async function runFence(request: FenceRequest): Promise<FenceResult> {
  const { clock, levels } = request;
  const policy = request.policy ?? defaultPolicy;
  const attempts: Attempt[] = [];
  for (let index = Math.max(0, (request.firstLevel ?? 1) - 1); index < levels.length; index++) {
    const devices = levels[index] ?? [];
    const left = request.deadlineAt - clock.now();
    if (request.signal?.aborted)
      return { outcome: 'aborted', attempts, detail: 'stopped before the fence ended' };
    if (left <= 0) break;
    const share = Math.floor(left / (levels.length - index));
    const timeoutMs = Math.min(left, request.levelTimeoutMs ?? share);
    const level = index + 1;
    const levelEndsAt = clock.now() + timeoutMs;
    const timer = timeoutSignal(clock, timeoutMs, request.signal);
    // One device failing dooms the level: stop the others instead of waiting out the timeout.
    const giveUp = new AbortController();
    const signal = AbortSignal.any([timer.signal, giveUp.signal]);
    const results = await Promise.all(
      devices.map(async (driver) => {
        const attempt = await fenceDevice({
          driver,
          target: {
            ...request.target,
            attemptId: `${request.target.incidentId}.${level}.${randomBytes(4).toString('hex')}`,
            deadlineAt: levelEndsAt,
          },
          level,
          signal,
          clock,
          policy,
        });
        if (attempt.outcome !== 'off')
          giveUp.abort(new Error(`another device of level ${level} failed`));
        attempts.push(attempt);
        await request.onAttempt?.(attempt);
        return attempt;
      }),
    );
    timer.cancel();
    if (request.signal?.aborted)
      return { outcome: 'aborted', attempts, detail: 'stopped before the fence ended' };
    if (results.length > 0 && results.every((a) => a.outcome === 'off')) {
      return { outcome: 'fenced', level, attempts, detail: `verified off by level ${level}` };
    }
  }
  const passed = clock.now() >= request.deadlineAt;
  return {
    outcome: 'failed',
    attempts,
    detail: passed
      ? 'fence deadline passed without a verified power-off'
      : 'every fence level failed',
  };
}
