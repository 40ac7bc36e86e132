import { errorMessage } from '../errors.ts';
import type { Log } from '../log.ts';
import type { Incident } from '../protocol/api.ts';
import { type EventSink, type EventType, eventId } from './events.ts';

const typeOf: Partial<Record<Incident['state'], EventType>> = {
  fenced: 'incident.fenced',
  failed: 'incident.failed',
  refused: 'incident.refused',
};

/**
 * `incident.fenced|failed|refused` once an incident ends. Its id is the incident and its final
 * state, so the sweeper's repair (after a crash between decision and event) sends the same id.
 * A notification problem never fails the decision that caused it: it is logged.
 */
export async function emitIncidentEvent(
  events: EventSink,
  log: Log | undefined,
  incident: Incident,
): Promise<void> {
  const type = Object.hasOwn(typeOf, incident.state) ? typeOf[incident.state] : undefined;
  if (!type) return;
  try {
    await events.emit({
      id: eventId(type, incident.cluster, incident.incidentId),
      type,
      cluster: incident.cluster,
      time: incident.updatedAt,
      data: incident,
    });
  } catch (err) {
    log?.error(
      { incidentId: incident.incidentId, err: errorMessage(err) },
      'could not record an event',
    );
  }
}
