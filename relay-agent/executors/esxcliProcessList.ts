import type { PowerReading } from './types.ts';

/** One running VM of `esxcli vm process list`. */
export interface VmProcess {
  worldId: number;
  displayName: string;
  configFile: string;
}

/** How a target names its VM: display name, .vmx path, or (unverifiable) a world id. */
export interface VmIdentity {
  name?: string | undefined;
  vmx?: string | undefined;
  worldId?: number | undefined;
}

/** A list we could read, or why not. An unreadable list proves nothing about any VM. */
export type ProcessList = { ok: true; vms: VmProcess[] } | { ok: false; why: string };

/**
 * Parses the default output of `esxcli vm process list`: one block per RUNNING VM, its
 * display name on an unindented line, then indented `Key: Value` fields:
 *
 *     legacy
 *        World ID: 1234567
 *        Process ID: 0
 *        VMX Cartel ID: 1234566
 *        UUID: 42 1a ...
 *        Display Name: legacy
 *        Config File: /vmfs/volumes/5f1e.../legacy/legacy.vmx
 *
 * Every block must have a world id, a display name and a config file: a block we cannot read
 * could be the VM asked about. An empty output is not an empty list: esxcli prints nothing
 * both when no VM runs and when it failed quietly, and only the first may read as off.
 */
export function parseProcessList(stdout: string): ProcessList {
  const blocks: Map<string, string>[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      blocks.push(new Map());
      continue;
    }
    const field = /^\s+([A-Za-z][A-Za-z ]*?):\s?(.*)$/.exec(line);
    const block = blocks.at(-1);
    if (!field?.[1] || !block) return { ok: false, why: `unreadable line ${quote(line)}` };
    block.set(field[1], field[2]?.trim() ?? '');
  }
  if (blocks.length === 0) return { ok: false, why: 'esxcli vm process list printed nothing' };
  const vms: VmProcess[] = [];
  for (const [index, block] of blocks.entries()) {
    const worldId = block.get('World ID') ?? '';
    const displayName = block.get('Display Name') ?? '';
    const configFile = block.get('Config File') ?? '';
    if (!/^\d+$/.test(worldId) || displayName === '' || configFile === '') {
      return {
        ok: false,
        why: `VM ${index + 1} of the list lacks World ID, Display Name or Config File`,
      };
    }
    vms.push({ worldId: Number(worldId), displayName, configFile });
  }
  return { ok: true, vms };
}

/** A reading of the VM, plus the world id to kill while it runs. */
export type VmLookup = PowerReading & { worldId?: number; ambiguous?: boolean };

/**
 * Finds the VM in the list. By name or vmx: one match is `on` (its current world id is the one
 * to kill), none is `off` (the list holds every running VM), several are `unknown` (never a
 * guess: killing the wrong VM is worse than killing none). By world id alone: listed is `on`,
 * absent is `unknown`, since a world id changes at every power-on and its absence means
 * nothing.
 */
export function lookUpVm(list: ProcessList, vm: VmIdentity, target: string): VmLookup {
  if (!list.ok) return { state: 'unknown', detail: `cannot read the process list: ${list.why}` };
  if (vm.name === undefined && vm.vmx === undefined) {
    const listed = list.vms.find((p) => p.worldId === vm.worldId);
    if (listed) return { state: 'on', worldId: listed.worldId };
    return {
      state: 'unknown',
      detail:
        `not-found: world id ${vm.worldId} is not in esxcli vm process list; world ids change ` +
        'at every power-on, so its absence proves nothing. add vm: { name: <display name> } ' +
        `(or vm: { vmx }) to target ${target} in relay.yaml`,
    };
  }
  const wanted = vm.name !== undefined ? `name ${quote(vm.name)}` : `vmx ${quote(vm.vmx ?? '')}`;
  const matches = list.vms.filter((p) =>
    vm.name !== undefined ? p.displayName === vm.name : p.configFile === vm.vmx,
  );
  const [first, second] = matches;
  if (!first) return { state: 'off', detail: `no running VM with ${wanted}` };
  if (second) {
    return {
      state: 'unknown',
      ambiguous: true,
      detail: `${matches.length} running VMs with ${wanted} (world ids ${matches.map((m) => m.worldId).join(', ')}); use vm: { vmx }`,
    };
  }
  return { state: 'on', worldId: first.worldId };
}

function quote(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}
