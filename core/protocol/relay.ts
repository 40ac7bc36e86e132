import { z } from 'zod';
import type { PowerState } from './power.ts';

/** POST /v1/actions on a relay agent. `requestId` makes the call idempotent. */
export const relayActionRequest = z.strictObject({
  requestId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/),
  target: z.string().min(1).max(128),
  action: z.enum(['off', 'on', 'status']),
  deadlineMs: z.number().int().min(100).max(600_000),
});
export type RelayActionRequest = z.infer<typeof relayActionRequest>;

export interface RelayStep {
  command: string;
  startedAt: string;
  elapsedMs: number;
  ok: boolean;
  detail: string;
}

export interface RelayActionResponse {
  requestId: string;
  target: string;
  action: RelayActionRequest['action'];
  powerState: PowerState;
  /** True only when the relay observed the requested state (off for `off`, on for `on`). */
  verified: boolean;
  /** Why the state is `unknown` or not verified, when the device path knows (`not-found: ...`). */
  detail?: string;
  elapsedMs: number;
  steps: RelayStep[];
}
