import { decide } from '../arbiter/arbiter.ts';
import { isOpen, openIncidents } from '../arbiter/state.ts';
import { advance, noEffects } from '../arbiter/transition.ts';
import type { RelayMailbox } from '../drivers/relayMailbox.ts';
import type { ReplayStore } from '../ledger/replayStore.ts';
import { emitIncidentEvent } from '../notifications/incidentEvents.ts';
import type { Outbox } from '../notifications/outbox.ts';
import type { WorkerDeps } from './fenceWorker.ts';

/** A fence whose message may have been lost is re-sent after this long without a live lease. */
const orphanAfterMs = 20_000;
/** Closed records younger than this get their incident entity checked (and repaired). */
const projectionRepairMs = 5 * 60_000;

export interface SweepResult {
  resent: number;
  projected: number;
  expired: number;
}

/**
 * The repair timer: applies due transitions (settle, quorum expiry), re-sends messages for
 * fences nobody holds (a crash between decision and enqueue, or a dead worker), re-projects
 * recent records (a crash between decision and projection), and deletes expired replay entries.
 */
/** Settled notifications are kept this long, so a repair recognises them. */
const outboxKeepMs = 2 * 60 * 60 * 1000;
/** Pull-relay actions are kept this long past their expiry (a late answer still finds its row). */
const relayActionKeepMs = 10 * 60 * 1000;

export async function sweep(
  deps: WorkerDeps & { replay: ReplayStore; outbox?: Outbox; relayMailbox?: RelayMailbox },
): Promise<SweepResult> {
  const result: SweepResult = { resent: 0, projected: 0, expired: 0 };
  for (const cluster of Object.keys(deps.config.clusters)) {
    let resent = 0;
    const { state } = await decide(deps, cluster, (current, ctx) => {
      const next = structuredClone(current);
      const fx = noEffects();
      advance(next, ctx, fx);
      for (const record of openIncidents(next)) {
        const orphan =
          record.state === 'fencing' &&
          (record.lease
            ? record.lease.until <= ctx.now
            : ctx.now - (record.fencingAt ?? record.updatedAt) >= orphanAfterMs);
        if (orphan) fx.enqueue.push({ incidentId: record.id, delayMs: 0 });
      }
      resent = fx.enqueue.length;
      return { state: next, outcome: undefined, effects: fx };
    });
    result.resent += resent;
    // A projection can only lag behind a decision that a crash interrupted: recent ones.
    // Their events likewise (the outbox recognises the ones it already has).
    const now = deps.clock.now();
    for (const record of state.incidents) {
      if (!isOpen(record) && now - record.updatedAt > projectionRepairMs) continue;
      const incident = await deps.incidents.project(cluster, record);
      result.projected++;
      if (incident && !isOpen(record) && deps.events)
        await emitIncidentEvent(deps.events, deps.log, incident);
    }
  }
  result.expired = await deps.replay.sweep();
  if (deps.outbox) result.expired += await deps.outbox.sweep(deps.clock.now() - outboxKeepMs);
  if (deps.relayMailbox)
    result.expired += await deps.relayMailbox.store.sweep(deps.clock.now() - relayActionKeepMs);
  return result;
}
