import type { PowerState } from '../../core/protocol/power.ts';
import type { EsxcliOptions, VmwareCmdOptions } from '../config.ts';
import { ExecError } from '../errors.ts';
import type { RunResult } from '../runner.ts';
import { runProcessStep } from './processStep.ts';
import type { CallContext, ExecutorDeps, PowerExecutor } from './types.ts';

/**
 * Compatibility executors for sites whose LifeKeeper stonith.conf already uses the vSphere CLI.
 * The password goes through VI_PASSWORD (the vSphere CLI reads it from the environment), never
 * through `-P` / `--password` as the LifeKeeper examples do.
 */
export function createVmwareCmdExecutor(
  target: { options: VmwareCmdOptions; password: string },
  deps: ExecutorDeps,
): PowerExecutor {
  const o = target.options;
  const run = async (call: CallContext, words: string[]): Promise<RunResult> => {
    const result = await runProcessStep(deps, call, {
      file: o.command,
      args: ['-H', o.host, '-U', o.user, o.vmx, ...words],
      env: { VI_PASSWORD: target.password },
      secrets: [target.password],
    });
    if (result.exitCode !== 0) throw classifyCliFailure(o.command, result);
    return result;
  };
  return {
    description: `vmware-cmd ${o.host} ${o.vmx}`,
    callTimeoutMs: o.callTimeoutMs,
    async powerOff(call) {
      await run(call, ['stop', 'hard']);
    },
    async powerOn(call) {
      await run(call, ['start']);
    },
    async powerState(call): Promise<PowerState> {
      return parseGetstate((await run(call, ['getstate'])).stdout);
    },
  };
}

/** `getstate() = on | off | suspended | stuck`; only on and off are power states. */
export function parseGetstate(stdout: string): PowerState {
  const state = /getstate\(\)\s*=\s*(\w+)/.exec(stdout)?.[1]?.toLowerCase();
  if (state === 'on') return 'on';
  if (state === 'off') return 'off';
  return 'unknown';
}

/**
 * `esxcli vm process kill --type=hard --world-id=N`. There is no power-on, and the state is read
 * from `vm process list`: a world id that is not listed has no running VM process. (A world id
 * changes at every power-on, so after an unfence the config needs the new one.)
 */
export function createEsxcliExecutor(
  target: { options: EsxcliOptions; password: string },
  deps: ExecutorDeps,
): PowerExecutor {
  const o = target.options;
  const connection = ['--server', o.server, '--username', o.user];
  if (o.thumbprint) connection.push('--thumbprint', o.thumbprint);
  const run = async (call: CallContext, words: string[]): Promise<RunResult> => {
    const result = await runProcessStep(deps, call, {
      file: o.command,
      args: [...connection, ...words],
      env: { VI_PASSWORD: target.password },
      secrets: [target.password],
    });
    if (result.exitCode !== 0) throw classifyCliFailure(o.command, result);
    return result;
  };
  return {
    description: `esxcli ${o.server} world ${o.worldId}`,
    callTimeoutMs: o.callTimeoutMs,
    async powerOff(call) {
      await run(call, ['vm', 'process', 'kill', '--type=hard', `--world-id=${o.worldId}`]);
    },
    async powerOn() {
      throw new ExecError('unsupported', 'esxcli cannot power a VM on; use vsphere or vmware-cmd');
    },
    async powerState(call): Promise<PowerState> {
      const { stdout } = await run(call, ['vm', 'process', 'list']);
      const listed = parseWorldIds(stdout);
      if (listed.includes(o.worldId)) return 'on';
      // Absent from a list we could read means off; output we cannot read proves nothing.
      return listed.length > 0 || stdout.trim() === '' ? 'off' : 'unknown';
    },
  };
}

/** The `World ID: N` lines of `esxcli vm process list`. */
export function parseWorldIds(stdout: string): number[] {
  return [...stdout.matchAll(/^\s*World ID:\s*(\d+)\s*$/gm)].map((m) => Number(m[1]));
}

function classifyCliFailure(command: string, result: RunResult): ExecError {
  const text = `${result.stderr}\n${result.stdout}`;
  const last =
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .at(-1) ?? `exit ${result.exitCode}`;
  if (
    /incorrect user name or password|InvalidLogin|Cannot complete login|authentication/i.test(text)
  )
    return new ExecError('auth', `${command}: host refused the credentials (${last})`);
  if (/not found|No such|does not exist|Unable to find/i.test(text))
    return new ExecError('not-found', `${command}: ${last}`);
  if (/connect|timed out|unreachable|refused/i.test(text))
    return new ExecError('unreachable', `${command}: ${last}`);
  return new ExecError('failed', `${command}: ${last}`);
}
