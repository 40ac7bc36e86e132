import { z } from 'zod';
import type { NodeReadiness } from './readiness.ts';
import type { IncidentState, NodeState } from './states.ts';

export {
  type IncidentState,
  incidentStates,
  isTerminal,
  type NodeState,
  nodeStates,
  terminalStates,
} from './states.ts';

export const maxBodyBytes = 16 * 1024;

/** What a report asks for: the target off, or off and then on again (a reboot). */
export type FenceAction = 'off' | 'reboot';
export const eventIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** POST /v1/clusters/{cluster}/reports. The reporter comes from the signing key, never the body. */
export const reportBody = z.strictObject({
  target: z.string().min(1).max(128),
  // Printable text only: control characters would let a reporter forge log lines.
  reason: z
    .string()
    .max(512)
    .regex(/^[^\p{Cc}]*$/u, 'must be printable text (no control characters)')
    .optional(),
  eventId: z.string().regex(eventIdPattern, 'must be 1-128 chars of [A-Za-z0-9._:-]').optional(),
  /** `reboot`: fenced once verified off, then powered on again (Pacemaker's default action). */
  action: z.enum(['off', 'reboot']).optional(),
});
export type ReportBody = z.infer<typeof reportBody>;

export const unfenceBody = z.strictObject({ powerOn: z.boolean().optional() });

/** One driver call sequence within one level: what was tried and what was observed. */
export interface Attempt {
  level: number;
  driver: string;
  startedAt: string;
  endedAt: string;
  /**
   * `off` is the only success of a fence: the driver observed the target powered off. `on` is a
   * reboot's power-on, observed on.
   */
  outcome: 'off' | 'on' | 'timeout' | 'error' | 'unknown' | 'aborted';
  detail: string;
}

export interface Refusal {
  code: string;
  detail: string;
}

/** A report that was refused (409/429), kept on the incident it lost to (DESIGN "Node side"). */
export interface RefusedReport {
  reporter: string;
  /** ISO 8601. */
  at: string;
  code: 'reporter-fenced' | 'self-report' | 'storm-guard' | 'settle-lost';
}

/** Refused reports kept per incident; the newest matter most. */
export const maxRefusedReports = 20;

/** The incident as the API returns it (GET .../incidents/{id}, and 200/202 report answers). */
export interface Incident {
  incidentId: string;
  cluster: string;
  target: string;
  action: FenceAction;
  state: IncidentState;
  reporters: string[];
  reason?: string;
  createdAt: string;
  updatedAt: string;
  attempts: Attempt[];
  refusal?: Refusal;
  refusedReports?: RefusedReport[];
}

export interface ClusterView {
  cluster: string;
  nodes: {
    name: string;
    state: NodeState;
    readiness: NodeReadiness;
    incidentId?: string;
  }[];
}
