import type { VmwareCmdOptions } from '../config.ts';
import type { RunResult } from '../runner.ts';
import { classifyCliFailure } from './cliFailure.ts';
import { runProcessStep } from './processStep.ts';
import type { CallContext, ExecutorDeps, PowerExecutor, PowerReading } from './types.ts';

/**
 * Compatibility executor for sites whose LifeKeeper stonith.conf already uses the vSphere CLI.
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
    async powerState(call): Promise<PowerReading> {
      return parseGetstate((await run(call, ['getstate'])).stdout);
    },
  };
}

/** `getstate() = on | off | suspended | stuck`; only on and off are power states. */
export function parseGetstate(stdout: string): PowerReading {
  const state = /getstate\(\)\s*=\s*(\w+)/.exec(stdout)?.[1]?.toLowerCase();
  if (state === 'on') return { state: 'on' };
  if (state === 'off') return { state: 'off' };
  const detail = state ? `getstate() = ${state}` : 'no getstate() = <state> in the answer';
  return { state: 'unknown', detail: `vmware-cmd ${detail}` };
}
