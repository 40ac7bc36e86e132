import { decide } from '../arbiter/arbiter.ts';
import { type IncidentRecord, powerOnTimeoutMs } from '../arbiter/state.ts';
import { finishPowerOn } from '../arbiter/unfence.ts';
import { powerOnNode } from '../engine/powerOn.ts';
import { errorMessage } from '../errors.ts';
import { own } from '../names.ts';
import type { WorkerDeps } from './fenceWorker.ts';
import { buildLevels } from './nodeLevels.ts';

/**
 * The second half of a reboot (DESIGN "Node side"): the incident is already `fenced` (its
 * reporters were answered and may fail over); now the target is powered on through the first
 * level that can, the attempt is recorded, and the node is a `member` once it was seen on. A
 * failed power-on leaves it `fenced`, and the attempt says why.
 */
export async function powerOnAfterReboot(
  deps: WorkerDeps,
  cluster: string,
  record: IncidentRecord,
): Promise<void> {
  const clusterConfig = own(deps.config.clusters, cluster);
  const node = clusterConfig ? own(clusterConfig.nodes, record.target) : undefined;
  let ok = false;
  try {
    if (!node) throw new Error(`${record.target} is no longer in the config`);
    const { levels } = await buildLevels(node, deps.drivers, deps.clock);
    const attempt = await powerOnNode({
      levels,
      target: {
        cluster,
        node: record.target,
        incidentId: record.id,
        attemptId: `${record.id}.on.${deps.clock.now()}`,
      },
      clock: deps.clock,
      timeoutMs: powerOnTimeoutMs,
    });
    const now = new Date(deps.clock.now()).toISOString();
    await deps.incidents.appendAttempt(
      cluster,
      record.id,
      attempt ?? {
        level: 0,
        driver: 'none',
        startedAt: now,
        endedAt: now,
        outcome: 'error',
        detail: 'no fence level of this node can power on',
      },
    );
    ok = attempt?.outcome === 'on';
  } catch (err) {
    deps.log.error(
      { cluster, incidentId: record.id, err: errorMessage(err) },
      'reboot: power-on failed',
    );
  }
  const { outcome } = await decide(deps, cluster, (state, ctx) =>
    finishPowerOn(state, record.target, ok ? 'member' : 'unchanged', ctx),
  );
  deps.log.info(
    { cluster, incidentId: record.id, target: record.target, poweredOn: ok, outcome },
    'reboot: power-on ended',
  );
}
