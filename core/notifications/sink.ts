import type { Clock } from '../clock.ts';
import type { NotificationConfig } from '../config/schema.ts';
import type { Log } from '../log.ts';
import type { EventSink, FencerEvent } from './events.ts';
import { logLineOf } from './logSink.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';

/**
 * Events into the durable outbox: one entry per webhook that wants the event, plus a marker
 * entry, so an event produced again (a repair after a crash) is recognised. The log line is
 * written the first time only. Writing to the outbox is all that happens here: delivery is the
 * dispatcher's, never on a fence's path.
 */
export function outboxEventSink(deps: {
  outbox: Outbox;
  hooks: Readonly<Record<string, NotificationConfig>>;
  clock: Clock;
  log: Log;
  /** Called after new entries were written (the local host's dispatcher wakes at once). */
  onAdded?: () => void;
}): EventSink {
  return {
    async emit(event: FencerEvent) {
      const now = deps.clock.now();
      const entry = (hook: string, state: OutboxEntry['state']): OutboxEntry => ({
        id: `${event.id}.${hook}`,
        hook,
        event,
        state,
        attempts: 0,
        createdAt: now,
        nextAt: now,
      });
      const hooks = Object.entries(deps.hooks)
        .filter(([, h]) => wants(h, event))
        .map(([name]) => entry(name, 'pending'));
      const added = await deps.outbox.add([entry('', 'delivered'), ...hooks]);
      if (added.includes(`${event.id}.`)) deps.log.info(logLineOf(event), `event ${event.type}`);
      if (added.length > 1) deps.onAdded?.();
    },
  };
}

function wants(hook: NotificationConfig, event: FencerEvent): boolean {
  return (
    (hook.events?.includes(event.type) ?? true) && (hook.clusters?.includes(event.cluster) ?? true)
  );
}
