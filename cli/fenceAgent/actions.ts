import { ApiClient } from '../apiClient.ts';
import { readSecret } from '../clientOptions.ts';
import { getCluster, getNodePower, getReadiness, unfenceNode } from '../operations.ts';
import { sendReport } from '../report.ts';
import { oneLine } from '../retry.ts';
import type { AgentOptions } from './options.ts';

/** fence-agents exit codes: 0 success (status: on), 1 error, 2 status: off. */
export interface AgentResult {
  exit: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}

export const ok = (stdout = ''): AgentResult => ({ exit: 0, stdout, stderr: '' });
export const fail = (stderr: string): AgentResult => ({
  exit: 1,
  stdout: '',
  stderr: `${stderr}\n`,
});

/** What every action works with: who signs, which cluster, and when it must have ended. */
export interface AgentCall {
  options: AgentOptions;
  url: string;
  keyId: string;
  cluster: string;
  node: string;
  client: ApiClient;
  startedAt: number;
  deadline: number;
}

const secretFrom = (file: string) => readSecret(file, {}) ?? '';

/** Seconds to ask the server for, leaving room for its answer to arrive before the deadline. */
function serverSeconds(call: AgentCall): number {
  return Math.max(
    1,
    Math.min(60, Math.floor((call.deadline - call.client.clock.now()) / 1000) - 2),
  );
}

/** `monitor` (DESIGN "Node side"): Fencer answers and no node of this cluster is unfenceable. */
export async function monitor(call: AgentCall): Promise<AgentResult> {
  const view = await getCluster(call.client, call.cluster, call.deadline);
  const unfenceable = view.nodes.filter((n) => n.readiness === 'unfenceable').map((n) => n.name);
  if (unfenceable.length === 0) return ok();
  // The reason for each: the failing devices as the last readiness check found them.
  const why = await getReadiness(call.client, call.cluster, call.deadline).then(
    (readiness) =>
      readiness.nodes
        .filter((n) => unfenceable.includes(n.name))
        .map((n) => {
          const devices = n.levels.flatMap((l) =>
            l.devices
              .filter((d) => d.status !== 'ok')
              .map((d) => `level ${l.level} ${d.description || d.driver}: ${d.detail}`),
          );
          return `${n.name} (${devices.join('; ')})`;
        })
        .join(', '),
    () => unfenceable.join(', '),
  );
  return fail(`Failed: Fencer answers, but no fence path works for ${oneLine(why)}`);
}

/** One line per node, `name,` (fence-agents' `plug,alias` with no alias): one target each. */
export async function list(call: AgentCall): Promise<AgentResult> {
  const view = await getCluster(call.client, call.cluster, call.deadline);
  return ok(view.nodes.map((n) => `${n.name},\n`).join(''));
}

/** `name,,ON|OFF|UNKNOWN` per node, each read at its devices now. */
export async function listStatus(call: AgentCall): Promise<AgentResult> {
  const view = await getCluster(call.client, call.cluster, call.deadline);
  const seconds = serverSeconds(call);
  const lines = await Promise.all(
    view.nodes.map(async (n) => {
      const state = await getNodePower(call.client, call.cluster, n.name, seconds, call.deadline)
        .then((reading) => reading.powerState)
        .catch(() => 'unknown');
      return `${n.name},,${state.toUpperCase()}\n`;
    }),
  );
  return ok(lines.join(''));
}

/** The power read at the node's devices through Fencer: 0 on, 2 off, 1 unknown (never off). */
export async function status(call: AgentCall): Promise<AgentResult> {
  const reading = await getNodePower(
    call.client,
    call.cluster,
    call.node,
    serverSeconds(call),
    call.deadline,
  );
  if (reading.powerState === 'on') return ok('Status: ON\n');
  if (reading.powerState === 'off') return { exit: 2, stdout: 'Status: OFF\n', stderr: '' };
  return fail(`Failed: the power of ${call.node} is unknown: ${oneLine(reading.detail)}`);
}

/** `on`: an admin's unfence with power-on (the node becomes a member again). */
export async function powerOn(call: AgentCall): Promise<AgentResult> {
  const admin = new ApiClient({
    url: call.url,
    keyId: call.options.admin_key_id ?? '',
    secret: secretFrom(call.options.admin_secret_file ?? ''),
    clock: call.client.clock,
  });
  const answer = await unfenceNode(admin, call.cluster, call.node, true, call.deadline);
  return answer.powerOn?.ok
    ? ok('Success: Powered ON\n')
    : fail(`Failed: unfenced ${call.node}, but power on failed: ${answer.powerOn?.detail}`);
}

/**
 * `off` and `reboot`: a report through the arbiter like any node's, answered once the target is
 * verified off. A reboot's report asks Fencer to power the target on afterwards (DESIGN "Node
 * side"); success does not wait for that, as Pacemaker only needs the node off.
 */
export async function fence(call: AgentCall, action: 'off' | 'reboot'): Promise<AgentResult> {
  const report = await sendReport({
    url: call.url,
    keyId: call.keyId,
    secret: secretFrom(call.options.secret_file ?? ''),
    target: call.node,
    reason: call.options.reason ?? 'pacemaker fencing',
    action,
    waitSeconds: Math.max(0, (call.deadline - call.startedAt) / 1000),
    startedAt: call.startedAt,
    clock: call.client.clock,
  });
  if (report.exit !== 0) return fail(`Failed: ${report.message}`);
  if (action === 'off') return ok('Success: Powered OFF\n');
  // Another reporter's `off` joined the incident: the more careful action won, no power-on.
  if (report.incident && report.incident.action !== 'reboot')
    return ok(
      `Success: Rebooted (powered off only: incident ${report.incident.incidentId} is an off, so ${call.node} stays fenced until unfenced)\n`,
    );
  return ok('Success: Rebooted\n');
}
