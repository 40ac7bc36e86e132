import type { Clock } from '../../core/clock.ts';
import type { PowerState } from '../../core/protocol/power.ts';
import type { RelayStep } from '../../core/protocol/relay.ts';
import type { Runner } from '../runner.ts';

/** One call to a device, as the action loop hands it to an executor. */
export interface CallContext {
  /** Time this call may take; already cut to what is left of the action's deadline. */
  timeoutMs: number;
  /** Aborts when `timeoutMs` has passed. */
  signal: AbortSignal;
  /** Appends a step to the action's record (the answer's `steps` and the audit line). */
  record(step: RelayStep): void;
}

/**
 * One device's vendor path, translated into power states. An executor only sends commands and
 * reads states; the action loop (runAction.ts) owns retries, polling and the deadline.
 * Failures are ExecError with `retryable` set. Never return 'off' unless the device said so.
 */
export interface PowerExecutor {
  /** Human description without secrets, e.g. `ipmi 192.168.0.1:623`. */
  readonly description: string;
  /** Upper bound of one call (`callTimeoutMs` of the target). */
  readonly callTimeoutMs: number;
  /** Hard power-off; resolves when the device accepted the command, not when it is off. */
  powerOff(call: CallContext): Promise<void>;
  powerOn(call: CallContext): Promise<void>;
  /** The state the device reported; `unknown` carries why (e.g. `not-found: ...`). */
  powerState(call: CallContext): Promise<PowerReading>;
  /** Ends a session the executor opened (vSphere logout); never throws. */
  close?(): Promise<void>;
}

/**
 * One read of a device's power state. `off` only when the device said so: absence, an empty
 * or unreadable answer is `unknown`, with a `detail` that says why and how to fix it
 * (DESIGN invariant 8); the detail reaches the relay's answer and `fencer doctor`.
 */
export interface PowerReading {
  state: PowerState;
  detail?: string;
}

/** What executors are built with; the composition root provides it, tests hand in fakes. */
export interface ExecutorDeps {
  runner: Runner;
  clock: Clock;
  /**
   * The base environment of child processes (PATH, locale). The relay's own environment is
   * not passed on: it holds the relay's signing keys.
   */
  childEnv: Readonly<Record<string, string>>;
}
