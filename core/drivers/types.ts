import type { Clock } from '../clock.ts';
import type { PowerState } from '../protocol/power.ts';

/** Who is being fenced, for drivers that need an idempotency key or a log context. */
export interface FenceTarget {
  cluster: string;
  node: string;
  incidentId: string;
  /** Unique per driver call sequence; the relay driver uses it as its requestId stem. */
  attemptId: string;
  /**
   * Epoch ms when the engine stops waiting for this device (the end of its level). A driver
   * that hands a time budget to a remote party (the relay's deadlineMs) keeps within it.
   */
  deadlineAt?: number;
}

/**
 * A fence driver translates one vendor API into power states. It owns no safety logic: the
 * engine (core/engine) decides about retries, timeouts and what counts as verified.
 * Errors are DriverError with `retryable` set; never return 'off' unless the vendor said so.
 */
export interface FenceDriver {
  readonly kind: DriverKind;
  /** Human description without secrets, e.g. `azure-vm rg-Group1/vm-HostA`. */
  readonly description: string;
  /** Hard power-off; does not wait for the target to be off. */
  powerOff(target: FenceTarget, signal: AbortSignal): Promise<void>;
  powerState(target: FenceTarget, signal: AbortSignal): Promise<PowerState>;
  /** For unfence with power-on; absent when the path cannot power on. */
  powerOn?(target: FenceTarget, signal: AbortSignal): Promise<void>;
  /**
   * Non-destructive checks of this path for `fencer doctor`: credentials accepted, endpoint
   * reachable, permission to power off (e.g. EC2 DryRun), current power state readable.
   */
  check?(target: FenceTarget, signal: AbortSignal): Promise<DriverCheck[]>;
}

export interface DriverCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** How to fix it, when `ok` is false. */
  fix?: string;
  /** On the check that read the power state: what it read (readiness keeps it). */
  powerState?: PowerState;
}

export const driverKinds = ['dummy', 'azure-vm', 'aws-ec2', 'relay'] as const;
export type DriverKind = (typeof driverKinds)[number];

/** What every driver factory may use; the composition root provides it. */
export interface DriverContext {
  clock: Clock;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
}
