import { randomBytes } from 'node:crypto';

/**
 * Incident ids carry their creation time, so the incident entity's RowKey (inverted time,
 * newest first) can be computed from the id alone: no index table is needed.
 */
export const incidentIdPattern = /^[0-9a-z]{9}-[0-9a-f]{8}$/;

export function newIncidentId(nowMs: number): string {
  return `${nowMs.toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
}

export function incidentTime(id: string): number {
  return Number.parseInt(id.slice(0, 9), 36);
}

const maxTime = 9_999_999_999_999;

export function incidentRowKey(id: string): string {
  return `${String(maxTime - incidentTime(id)).padStart(13, '0')}-${id}`;
}
