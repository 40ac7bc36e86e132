import { decide } from '../arbiter/arbiter.ts';
import { isOpen, openIncidents } from '../arbiter/state.ts';
import { advance, noEffects } from '../arbiter/transition.ts';
import { isPullRelay } from '../config/schema.ts';
import type { RelayMailbox } from '../drivers/relayMailbox.ts';
import type { ReplayLedger } from '../ledger/ledger.ts';
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
export async function sweep(
  deps: WorkerDeps & { replay: ReplayLedger; outbox?: Outbox; relayMailbox?: RelayMailbox },
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
  if (deps.outbox) result.expired += await deps.outbox.sweep(deps.clock.now());
  // Pull-relay actions a crashed driver left behind (a live one withdraws its own).
  const pull = Object.entries(deps.config.relays).filter(([, r]) => isPullRelay(r));
  if (deps.relayMailbox && pull.length > 0)
    result.expired += await deps.relayMailbox.store.sweep(
      pull.map(([name]) => name),
      deps.clock.now(),
    );
  return result;
}
