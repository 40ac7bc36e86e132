import type { FencerEvent } from './events.ts';

/**
 * Every event is a structured log line (DESIGN "Notifications"): in Azure it lands in
 * Application Insights with the event type as a field, so alert rules work without a webhook.
 */
export function logLineOf(event: FencerEvent): Record<string, unknown> {
  const data = event.data;
  return {
    event: event.type,
    eventId: event.id,
    cluster: event.cluster,
    ...('incidentId' in data
      ? { incidentId: data.incidentId, target: data.target, state: data.state }
      : {
          node: data.node,
          state: data.state,
          readiness: data.readiness,
          previousReadiness: data.previousReadiness,
        }),
  };
}
