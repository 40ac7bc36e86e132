import type { ResolvedTarget } from '../config.ts';
import { createEsxcliExecutor } from './esxcli.ts';
import { createIpmitoolExecutor } from './ipmitool.ts';
import type { ExecutorDeps, PowerExecutor } from './types.ts';
import { createVmwareCmdExecutor } from './vmwareCmd.ts';
import { createVsphereExecutor } from './vsphere.ts';

/** A fresh executor per action: sessions (vSphere) and temp files never outlive the action. */
export function createExecutor(target: ResolvedTarget, deps: ExecutorDeps): PowerExecutor {
  switch (target.kind) {
    case 'ipmi':
      return createIpmitoolExecutor(target, deps);
    case 'vsphere':
      return createVsphereExecutor(target, deps);
    case 'vmware-cmd':
      return createVmwareCmdExecutor(target, deps);
    case 'esxcli':
      return createEsxcliExecutor(target, deps);
  }
}
