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

/** Pull mode: one action in a poll answer, signed exactly as a push-mode `POST /v1/actions`. */
export interface PulledAction {
  headers: {
    'X-Fencer-Key': string;
    'X-Fencer-Timestamp': string;
    'X-Fencer-Nonce': string;
    'X-Fencer-Signature': string;
  };
  /** The exact request body the signature covers. */
  body: string;
}

/** `POST /v1/relays/{relay}/poll?waitSeconds=N` answers `{actions:[...]}` (empty when none came). */
export interface RelayPollAnswer {
  actions: PulledAction[];
}

/**
 * `POST /v1/relays/{relay}/results`: the relay's push-mode 200 answer to one action, or for a
 * problem `{requestId, status, problem}`. The 200 form is judged exactly like a push-mode answer
 * by the waiting driver (relayErrors.ts `parseAnswer`), so it is only checked for its shape here.
 */
const requestId = relayActionRequest.shape.requestId;
export const relayResultBody = z.union([
  z.strictObject({
    requestId,
    status: z.number().int().min(400).max(599),
    problem: z.looseObject({ code: z.string().max(64), detail: z.string().max(8192) }),
  }),
  z.looseObject({
    requestId,
    target: z.string().max(128),
    action: z.enum(['off', 'on', 'status']),
    powerState: z.enum(['on', 'off', 'unknown']),
    verified: z.boolean(),
  }),
]);
export type RelayResultBody = z.infer<typeof relayResultBody>;
