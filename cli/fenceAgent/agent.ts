import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { systemClock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import { ApiClient } from '../apiClient.ts';
import { readSecret } from '../clientOptions.ts';
import { oneLine } from '../retry.ts';
import {
  type AgentCall,
  type AgentResult,
  fail,
  fence,
  list,
  listStatus,
  monitor,
  ok,
  powerOn,
  status,
} from './actions.ts';
import { type AgentAction, agentActions, metadataXml } from './metadata.ts';
import { type AgentOptions, parameters, timeoutDefaults } from './options.ts';

export type { AgentResult } from './actions.ts';

const powerActions: readonly AgentAction[] = ['on', 'off', 'reboot'];

/**
 * When the agent must have ended, counted from `startedAt` (the process start: Pacemaker's
 * timer starts when it forks the agent, and tells the agent nothing about it). The power
 * actions get `power_timeout`, the others `status_timeout`; every request and retry fits
 * before it, so the agent ends with its reason before Pacemaker would kill it (README "Using
 * with Pacemaker" pairs these with Pacemaker's timeouts).
 */
export function agentDeadline(
  options: AgentOptions,
  startedAt: number,
  action: AgentAction,
): number {
  const seconds = powerActions.includes(action)
    ? Number(options.power_timeout ?? timeoutDefaults.power)
    : Number(options.status_timeout ?? timeoutDefaults.status);
  return startedAt + seconds * 1000;
}

/** Runs one fence-agents action through Fencer's API (signed; `off` waits for the verdict). */
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
    const call = callFor(options, action, startedAt);
    if (action === 'monitor') return await monitor(call);
    if (action === 'list') return await list(call);
    if (action === 'list-status') return await listStatus(call);
    if (action === 'status') return await status(call);
    if (action === 'on') return await powerOn(call);
    return await fence(call, action);
  } catch (err) {
    return fail(`Failed: ${oneLine(errorMessage(err))}`);
  }
}

function callFor(options: AgentOptions, action: AgentAction, startedAt: number): AgentCall {
  const keyId = localKeyId(options.key_id ?? '');
  const url = options.fencer_url ?? '';
  return {
    options,
    url,
    keyId,
    cluster: keyId.split('/')[0] ?? '',
    node: options.plug ?? '',
    client: new ApiClient({
      url,
      keyId,
      secret: readSecret(options.secret_file ?? '', {}) ?? '',
      clock: systemClock,
    }),
    startedAt,
    deadline: agentDeadline(options, startedAt, action),
  };
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
  for (const name of ['power_timeout', 'status_timeout'])
    if (options[name] && !/^[1-9]\d{0,4}$/.test(options[name] ?? ''))
      problems.push(`${name} must be whole seconds (1 or more)`);
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
