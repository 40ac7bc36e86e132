import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { systemClock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import { ApiClient } from '../apiClient.ts';
import { readSecret } from '../clientOptions.ts';
import { getCluster, unfenceNode } from '../operations.ts';
import { sendReport } from '../report.ts';
import { oneLine } from '../retry.ts';
import { type AgentAction, agentActions, metadataXml } from './metadata.ts';
import { type AgentOptions, parameters } from './options.ts';

/** fence-agents exit codes: 0 success (status: on), 1 error, 2 status: off. */
export interface AgentResult {
  exit: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}

const ok = (stdout = ''): AgentResult => ({ exit: 0, stdout, stderr: '' });
const fail = (stderr: string): AgentResult => ({ exit: 1, stdout: '', stderr: `${stderr}\n` });

/**
 * When the agent must have ended: `power_timeout` seconds after `startedAt` (the process start,
 * which is when Pacemaker's own timeout starts too). Every request and retry fits before it.
 */
export function agentDeadline(options: AgentOptions, startedAt: number): number {
  return startedAt + Number(options.power_timeout ?? 240) * 1000;
}

/** Runs one fence-agents action; `off` goes through Fencer's API (signed, and waits for the verdict). */
export async function runAgent(
  options: AgentOptions,
  startedAt = systemClock.now(),
): Promise<AgentResult> {
  const action = options.action as AgentAction;
  if (!agentActions.includes(action)) return fail(`Failed: unrecognised action: ${options.action}`);
  if (action === 'metadata') return ok(metadataXml());
  const problems = validate(options, action);
  if (problems.length > 0) return fail(problems.map((p) => `Failed: ${p}`).join('\n'));
  if (action === 'validate-all') return ok();
  try {
    return await act(action, options, startedAt);
  } catch (err) {
    return fail(`Failed: ${oneLine(errorMessage(err))}`);
  }
}

export function validate(options: AgentOptions, action: AgentAction): string[] {
  const problems = parameters
    .filter((p) => p.required && !options[p.name])
    .map((p) => `missing required option ${p.name}`);
  if (options.key_id && !/^[^/]+(\/[^/]+)?$/.test(options.key_id))
    problems.push("key_id must be CLUSTER/NODE, or CLUSTER (this host's short name is the node)");
  if (['on', 'off', 'reboot', 'status'].includes(action) && !options.plug)
    problems.push('missing the node to act on (plug, port or nodename)');
  if (action === 'on' && !(options.admin_key_id && options.admin_secret_file))
    problems.push('on needs admin_key_id and admin_secret_file');
  if (options.power_timeout && !/^\d+$/.test(options.power_timeout))
    problems.push('power_timeout must be whole seconds');
  if (options.fencer_url && !/^https?:\/\/[^/]/.test(options.fencer_url))
    problems.push('fencer_url must be an http:// or https:// URL');
  for (const file of [options.secret_file, options.admin_secret_file]) {
    if (!file) continue;
    try {
      readFileSync(file);
    } catch (err) {
      problems.push(
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
      );
    }
  }
  return problems;
}

/**
 * Pacemaker gives every node the same device parameters; `key_id=CLUSTER` lets each node sign
 * with its own key (`CLUSTER/<short hostname>`), read from the same secret_file path.
 */
export function localKeyId(keyId: string, host = hostname()): string {
  return keyId.includes('/') ? keyId : `${keyId}/${host.split('.')[0]}`;
}

const secretFrom = (file: string) => readSecret(file, {}) ?? '';

async function act(
  action: Exclude<AgentAction, 'metadata' | 'validate-all'>,
  options: AgentOptions,
  startedAt: number,
): Promise<AgentResult> {
  const deadline = agentDeadline(options, startedAt);
  const url = options.fencer_url ?? '';
  const keyId = localKeyId(options.key_id ?? '');
  const cluster = keyId.split('/')[0] ?? '';
  const node = options.plug ?? '';
  const client = new ApiClient({
    url,
    keyId,
    secret: secretFrom(options.secret_file ?? ''),
    clock: systemClock,
  });
  const admin = () => {
    if (!options.admin_key_id || !options.admin_secret_file) return undefined;
    return new ApiClient({
      url,
      keyId: options.admin_key_id,
      secret: secretFrom(options.admin_secret_file),
      clock: systemClock,
    });
  };

  if (action === 'monitor') {
    await getCluster(client, cluster, deadline);
    return ok();
  }
  if (action === 'list') {
    const view = await getCluster(client, cluster, deadline);
    return ok(view.nodes.map((n) => `${n.name},${n.name}\n`).join(''));
  }
  if (action === 'status') {
    const state = (await getCluster(client, cluster, deadline)).nodes.find(
      (n) => n.name === node,
    )?.state;
    if (state === undefined) return fail(`Failed: ${node} is not a node of cluster ${cluster}`);
    // Fencer knows what it fenced; a node it did not fence is taken as on (it is a member).
    if (state === 'fenced') return { exit: 2, stdout: 'Status: OFF\n', stderr: '' };
    if (state === 'member' || state === 'suspected') return ok('Status: ON\n');
    return fail(`Failed: ${node} is ${state} in Fencer (unknown power state)`);
  }
  if (action === 'on') {
    const answer = await unfenceNode(admin() as ApiClient, cluster, node, true, deadline);
    return answer.powerOn?.ok
      ? ok(`Success: Powered ON\n`)
      : fail(`Failed: unfenced ${node}, but power on failed: ${answer.powerOn?.detail}`);
  }
  // off and reboot: the report goes through the arbiter like any node's would.
  const report = await sendReport({
    url,
    keyId,
    secret: secretFrom(options.secret_file ?? ''),
    target: node,
    reason: options.reason ?? 'pacemaker fencing',
    waitSeconds: Number(options.power_timeout ?? 240),
    startedAt,
  });
  if (report.exit !== 0) return fail(`Failed: ${report.message}`);
  if (action === 'off') return ok('Success: Powered OFF\n');
  const adminClient = admin();
  if (!adminClient)
    return {
      exit: 0,
      stdout: 'Success: Rebooted (off only: no admin key to power on and unfence)\n',
      stderr: '',
    };
  const answer = await unfenceNode(adminClient, cluster, node, true, deadline);
  return ok(
    answer.powerOn?.ok
      ? 'Success: Rebooted\n'
      : `Success: Rebooted (off only: ${answer.powerOn?.detail})\n`,
  );
}
