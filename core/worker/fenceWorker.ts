import { randomBytes } from 'node:crypto';
import { type ArbiterDeps, decide } from '../arbiter/arbiter.ts';
import { claim, close, failPoisoned, renew } from '../arbiter/lifecycle.ts';
import type { IncidentRecord } from '../arbiter/state.ts';
import type { DriverCache } from '../drivers/driverCache.ts';
import type { FencePolicy } from '../engine/policy.ts';
import { runFence } from '../engine/runFence.ts';
import { errorMessage } from '../errors.ts';
import type { FenceMessage } from '../ledger/fenceQueue.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Log } from '../log.ts';
import { hasOwnName, own } from '../names.ts';
import type { Attempt } from '../protocol/api.ts';
import { buildLevels } from './nodeLevels.ts';
import { powerOnAfterReboot } from './reboot.ts';

export interface WorkerDeps extends ArbiterDeps {
  /** One driver per device, kept warm (core/drivers/driverCache.ts). */
  drivers: DriverCache;
  log: Log;
  /** No driver is called before the claim (and the decision behind it) is durable. */
  ledger: Pick<Ledger, 'durable'>;
  /** Identifies this worker's leases (host + random). */
  owner?: string;
  /** A worker that stops renewing loses its lease after this long; another then takes over. */
  leaseMs?: number;
  policy?: FencePolicy;
}

export type WorkResult = 'fenced' | 'failed' | 'later' | 'busy' | 'done' | 'aborted';

const defaultOwner = `worker-${randomBytes(4).toString('hex')}`;

/**
 * Handles one fence message: claim the incident (lease), run its levels, record every attempt,
 * close it with the verdict. Redeliveries and duplicates are harmless: a live lease elsewhere
 * means someone is on it, a closed incident means it is done.
 * `signal` aborts without a verdict (shutdown): the lease is released for the next worker.
 */
export async function processFenceMessage(
  deps: WorkerDeps,
  message: FenceMessage,
  signal?: AbortSignal,
): Promise<WorkResult> {
  // The lease belongs to this run, not to the instance: another copy of the message delivered
  // to the same instance meanwhile must find the fence taken (busy), not run it a second time.
  const owner = `${deps.owner ?? defaultOwner}/${randomBytes(4).toString('hex')}`;
  const leaseMs = deps.leaseMs ?? 30_000;
  const { cluster, incidentId } = message;
  if (!hasOwnName(deps.config.clusters, cluster)) {
    deps.log.warn({ cluster, incidentId }, 'fence message for an unknown cluster dropped');
    return 'done';
  }
  const claimed = await decide(deps, cluster, (state, ctx) =>
    claim(state, incidentId, owner, leaseMs, ctx),
  );
  const outcome = claimed.outcome;
  if (outcome.kind === 'later') {
    await deps.queue.send(message, outcome.delayMs);
    return 'later';
  }
  if (outcome.kind !== 'run') return outcome.kind;
  const record = outcome.record;
  // The report that opened the incident projected it; after a crash that write may be missing.
  await deps.incidents.project(cluster, record);
  await deps.ledger.durable();

  const stop = new AbortController();
  const onStop = () => stop.abort(signal?.reason ?? new Error('worker stopping'));
  signal?.addEventListener('abort', onStop, { once: true });
  const until = record.lease?.until ?? deps.clock.now() + leaseMs;
  const heartbeat = keepLease(deps, cluster, incidentId, owner, { leaseMs, until }, stop);
  try {
    const result = await fence(deps, cluster, record, stop.signal);
    const outcome = result.outcome;
    if (outcome === 'aborted') {
      deps.log.warn(
        { cluster, incidentId, detail: result.detail },
        'fence stopped without a verdict',
      );
      // Hand over at once: the next worker should not wait out our lease.
      await decide(deps, cluster, (state, ctx) => renew(state, incidentId, owner, 0, ctx)).catch(
        () => undefined,
      );
      return 'aborted';
    }
    const verdict = { outcome, detail: result.detail };
    const closed = await decide(deps, cluster, (state, ctx) =>
      close(state, incidentId, verdict, ctx),
    );
    deps.log.info(
      {
        cluster,
        incidentId,
        target: record.target,
        outcome: closed.outcome?.state,
        detail: result.detail,
      },
      'fence ended',
    );
    if (closed.outcome?.state === 'fenced' && closed.outcome.action === 'reboot')
      await powerOnAfterReboot(deps, cluster, closed.outcome);
    return outcome;
  } finally {
    heartbeat.stop();
    signal?.removeEventListener('abort', onStop);
  }
}

async function fence(
  deps: WorkerDeps,
  cluster: string,
  record: IncidentRecord,
  signal: AbortSignal,
) {
  const clusterConfig = own(deps.config.clusters, cluster);
  const node = clusterConfig ? own(clusterConfig.nodes, record.target) : undefined;
  const fencingAt = record.fencingAt ?? deps.clock.now();
  const deadlineAt = fencingAt + (clusterConfig?.fenceDeadlineSeconds ?? 240) * 1000;
  const recordAttempt = async (attempt: Attempt) => {
    await deps.incidents.appendAttempt(cluster, record.id, attempt).catch((err) => {
      deps.log.error(
        { cluster, incidentId: record.id, err: errorMessage(err) },
        'could not record an attempt',
      );
    });
  };
  if (!node)
    return {
      outcome: 'failed' as const,
      detail: `${record.target} is no longer in the config`,
      attempts: [],
    };
  const { levels, failures } = await buildLevels(node, deps.drivers, deps.clock);
  for (const failure of failures) await recordAttempt(failure);
  return runFence({
    target: { cluster, node: record.target, incidentId: record.id },
    levels,
    deadlineAt,
    ...(clusterConfig?.levelTimeoutSeconds
      ? { levelTimeoutMs: clusterConfig.levelTimeoutSeconds * 1000 }
      : {}),
    clock: deps.clock,
    signal,
    onAttempt: recordAttempt,
    ...(deps.policy ? { policy: deps.policy } : {}),
  });
}

/**
 * Keeps the lease while the fence runs: renews it every third of its length, retrying failed
 * renewals (a storage hiccup) every 250 ms. If it has not been renewed by `margin` before it
 * lapses — renewals keep failing, or one hangs — the fence is stopped, so a worker that claims
 * the incident after expiry never overlaps this one. A lost lease stops it at once.
 */
function keepLease(
  deps: WorkerDeps,
  cluster: string,
  incidentId: string,
  owner: string,
  lease: { leaseMs: number; until: number },
  stop: AbortController,
) {
  const { leaseMs } = lease;
  const margin = Math.max(200, Math.floor(leaseMs / 6));
  let heldUntil = lease.until;
  const done = new AbortController();
  const giveUp = (reason: string) => {
    if (!done.signal.aborted) stop.abort(new Error(reason));
    done.abort();
  };
  const warn = (err: unknown) =>
    deps.log.warn({ cluster, incidentId, err: errorMessage(err) }, 'lease renewal failed');
  const renewing = (async () => {
    while (!done.signal.aborted) {
      await deps.clock.sleep(Math.max(100, Math.floor(leaseMs / 3)), done.signal);
      for (;;) {
        const asked = deps.clock.now();
        try {
          const { outcome: held } = await decide(deps, cluster, (state, ctx) =>
            renew(state, incidentId, owner, leaseMs, ctx),
          );
          if (!held) return giveUp('lease lost');
          heldUntil = Math.max(heldUntil, asked + leaseMs);
          break;
        } catch (err) {
          if (done.signal.aborted) return;
          warn(err);
          await deps.clock.sleep(250, done.signal);
        }
      }
    }
  })();
  const guarding = (async () => {
    for (;;) {
      const left = heldUntil - margin - deps.clock.now();
      if (left <= 0) return giveUp('the lease could not be renewed; stopping before it lapses');
      await deps.clock.sleep(left, done.signal);
    }
  })();
  for (const loop of [renewing, guarding]) loop.catch(() => undefined);
  return { stop: () => done.abort() };
}

/** A message the host gave up on (poison): its incident ends `failed`, never silently open. */
export async function processPoisonMessage(deps: WorkerDeps, message: FenceMessage): Promise<void> {
  if (!hasOwnName(deps.config.clusters, message.cluster)) return;
  const { outcome } = await decide(deps, message.cluster, (state, ctx) =>
    failPoisoned(state, message.incidentId, ctx),
  );
  deps.log.error({ ...message, state: outcome?.state }, 'poison fence message: incident ended');
}
