import { createHash } from 'node:crypto';
import type { Incident, NodeState } from '../protocol/api.ts';
import type { NodeReadiness } from '../protocol/readiness.ts';

export const eventTypes = [
  'incident.fenced',
  'incident.failed',
  'incident.refused',
  'node.unfenced',
  'node.readiness',
] as const;
export type EventType = (typeof eventTypes)[number];

/** `data` of the `node.*` events. */
export interface NodeEventData {
  cluster: string;
  node: string;
  state: NodeState;
  readiness: NodeReadiness;
  previousReadiness: NodeReadiness;
  detail: string;
}

/**
 * Something people should hear about (DESIGN "Notifications"). `id` is derived from what the
 * event is about, so producing it twice (a retry, a repair after a crash) gives the same id and
 * receivers can de-duplicate.
 */
export interface FencerEvent {
  id: string;
  type: EventType;
  cluster: string;
  /** ISO 8601. */
  time: string;
  data: Incident | NodeEventData;
}

/** Where events go: the durable outbox, and a structured log line each. */
export interface EventSink {
  emit(event: FencerEvent): Promise<void>;
}

export function eventId(...about: (string | number)[]): string {
  return createHash('sha256').update(about.join('\n')).digest('hex').slice(0, 32);
}
