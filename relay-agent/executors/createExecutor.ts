import type { ResolvedTarget } from '../config.ts';
import type { ExecutorDeps, PowerExecutor } from './types.ts';

/**
 * Each kind's module is loaded only when a target of that kind is configured: a relay that
 * drives BMCs never loads the vSphere SOAP client with its HTTP and XML libraries (about
 * 15 MiB of resident memory). `preloadExecutors` loads them at start and on reload, so no
 * action waits for a module load.
 */
const modules = {
  ipmi: () => import('./ipmitool.ts'),
  vsphere: () => import('./vsphere.ts'),
  'vmware-cmd': () => import('./vmwareCmd.ts'),
  esxcli: () => import('./esxcli.ts'),
} as const satisfies Record<ResolvedTarget['kind'], () => Promise<unknown>>;

/** Loads the executors of these targets' kinds (the module system keeps them loaded). */
export async function preloadExecutors(targets: Iterable<ResolvedTarget>): Promise<void> {
  const kinds = new Set([...targets].map((t) => t.kind));
  await Promise.all([...kinds].map((kind) => modules[kind]()));
}

/** A fresh executor per action: sessions (vSphere) and temp files never outlive the action. */
export async function createExecutor(
  target: ResolvedTarget,
  deps: ExecutorDeps,
): Promise<PowerExecutor> {
  switch (target.kind) {
    case 'ipmi':
      return (await modules.ipmi()).createIpmitoolExecutor(target, deps);
    case 'vsphere':
      return (await modules.vsphere()).createVsphereExecutor(target, deps);
    case 'vmware-cmd':
      return (await modules['vmware-cmd']()).createVmwareCmdExecutor(target, deps);
    case 'esxcli':
      return (await modules.esxcli()).createEsxcliExecutor(target, deps);
  }
}
