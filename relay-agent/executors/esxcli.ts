import type { EsxcliOptions } from '../config.ts';
import { ExecError } from '../errors.ts';
import type { RunResult } from '../runner.ts';
import { classifyCliFailure } from './cliFailure.ts';
import { lookUpVm, parseProcessList, type VmLookup } from './esxcliProcessList.ts';
import { runProcessStep } from './processStep.ts';
import type { CallContext, ExecutorDeps, PowerExecutor } from './types.ts';

/**
 * `esxcli vm process kill --type=hard --world-id=N` (LifeKeeper's command). There is no
 * power-on, and the state is read from `esxcli vm process list`, which lists running VMs only.
 * With `vm: { name | vmx }` the VM's current world id is looked up for every kill, so a
 * power-on (new world id) or a stale stonith.conf id cannot misdirect it. The password goes
 * through VI_PASSWORD, never `--password` as the LifeKeeper examples do.
 */
export function createEsxcliExecutor(
  target: { name: string; options: EsxcliOptions; password: string },
  deps: ExecutorDeps,
): PowerExecutor {
  const o = target.options;
  const connection = ['--server', o.server, '--username', o.user];
  if (o.thumbprint) connection.push('--thumbprint', o.thumbprint);
  const identity = { name: o.vm?.name, vmx: o.vm?.vmx, worldId: o.worldId };
  const verifiable = o.vm !== undefined;

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
  const lookUp = async (call: CallContext): Promise<VmLookup> => {
    const { stdout } = await run(call, ['vm', 'process', 'list']);
    return lookUpVm(parseProcessList(stdout), identity, target.name);
  };

  return {
    description: `esxcli ${o.server} ${o.vm ? JSON.stringify(o.vm) : `world ${o.worldId}`}`,
    callTimeoutMs: o.callTimeoutMs,
    async powerOff(call) {
      let worldId = o.worldId;
      if (verifiable) {
        const vm = await lookUp(call);
        if (vm.state === 'off') return; // nothing of that name runs: the state read says off
        if (vm.worldId === undefined) {
          // An ambiguous name is a config error; an unreadable list may read next time.
          throw new ExecError('not-found', `no world id to kill: ${vm.detail}`, {
            retryable: vm.ambiguous !== true,
          });
        }
        worldId = vm.worldId;
      }
      await run(call, ['vm', 'process', 'kill', '--type=hard', `--world-id=${worldId}`]);
    },
    async powerOn() {
      throw new ExecError('unsupported', 'esxcli cannot power a VM on; use vsphere or vmware-cmd');
    },
    async powerState(call) {
      const { state, detail } = await lookUp(call);
      return detail === undefined ? { state } : { state, detail };
    },
  };
}
