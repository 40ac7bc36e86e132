import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Everything the lab makes is named `fpm-<id>…` (Fencer + PaceMaker): its temp dir, its network
 * namespaces. The id is random per run, so two runs on one machine never share a name, and a
 * crashed run's leftovers can be found by name and removed.
 */
export const labPrefix = 'fpm-';
export const labIdPattern = /^[0-9a-f]{6}$/;

/** The cluster's nodes: each one's hostname, Pacemaker node name and Fencer node name. */
export const labNodes = ['pcmk-a', 'pcmk-b'] as const;
export type LabNode = (typeof labNodes)[number];

/** The lab's own network; it exists only inside the lab's namespaces, never on the host. */
export const labNet = {
  bridge: '10.213.0.1',
  prefix: 24,
  address: (node: LabNode) => `10.213.0.${11 + labNodes.indexOf(node)}`,
  /** Where the nodes reach Fencer: a forwarder on the bridge address. */
  fencerPort: 7071,
} as const;

export interface LabNames {
  id: string;
  /** Temp dir holding every file of the run (and only those). */
  dir: string;
  /** The namespace holding the bridge and the forwarder to Fencer. */
  switchNs: string;
  nodeNs(node: LabNode): string;
  /** The node's end of its veth pair, in the switch namespace (≤ 15 characters). */
  switchPort(node: LabNode): string;
  nodeDir(node: LabNode): string;
}

export function newLabId(): string {
  return randomBytes(3).toString('hex');
}

export function labNames(id: string, base = tmpdir()): LabNames {
  if (!labIdPattern.test(id)) throw new Error(`bad lab id ${id}`);
  const dir = join(base, `${labPrefix}${id}`);
  return {
    id,
    dir,
    switchNs: `${labPrefix}${id}-sw`,
    nodeNs: (node) => `${labPrefix}${id}-${node.slice(-1)}`,
    switchPort: (node) => `fpm${id}${node.slice(-1)}`,
    nodeDir: (node) => join(dir, 'nodes', node),
  };
}

/** The process that owns a lab: its pid and start time (so a reused pid is not mistaken for it). */
export function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) counted after the command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return `${pid}:${fields[19]}`;
  } catch {
    return undefined;
  }
}

/** True when the lab's owner file names a process that is still running. */
export function ownerAlive(names: LabNames): boolean {
  const file = join(names.dir, 'owner');
  if (!existsSync(file)) return false;
  const owner = readFileSync(file, 'utf8').trim();
  const pid = Number(owner.split(':')[0]);
  return Number.isInteger(pid) && pid > 0 && processIdentity(pid) === owner;
}
