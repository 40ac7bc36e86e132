import type { LabNames, LabNode } from './labNames.ts';
import { labNet, labNodes } from './labNames.ts';
import { run, runOk } from './shell.ts';

/**
 * The lab's network: a bridge in a namespace of its own (the "switch", so the host's firewall
 * and bridge-netfilter settings never see the lab's traffic), one veth pair per node, and the
 * node's end named eth0 in the node's namespace. No address or route is added on the host.
 */
export async function buildNetwork(names: LabNames): Promise<void> {
  const sw = names.switchNs;
  await runOk(['ip', 'netns', 'add', sw]);
  await runOk(['ip', '-n', sw, 'link', 'set', 'lo', 'up']);
  await runOk(['ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
  await runOk(['ip', '-n', sw, 'addr', 'add', `${labNet.bridge}/${labNet.prefix}`, 'dev', 'br0']);
  await runOk(['ip', '-n', sw, 'link', 'set', 'br0', 'up']);
  for (const node of labNodes) {
    const ns = names.nodeNs(node);
    const port = names.switchPort(node);
    await runOk(['ip', 'netns', 'add', ns]);
    await runOk(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await runOk([
      'ip',
      'link',
      'add',
      port,
      'netns',
      sw,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      ns,
    ]);
    await runOk(['ip', '-n', sw, 'link', 'set', port, 'master', 'br0', 'up']);
    await runOk([
      'ip',
      '-n',
      ns,
      'addr',
      'add',
      `${labNet.address(node)}/${labNet.prefix}`,
      'dev',
      'eth0',
    ]);
    await runOk(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
  }
}

/** corosync (knet) talks UDP 5405 both ways; the cut drops exactly that, in and out. */
const cutRules = `table inet fpm_cut {
  chain in { type filter hook input priority 0; udp dport 5405 drop; udp sport 5405 drop; }
  chain out { type filter hook output priority 0; udp dport 5405 drop; udp sport 5405 drop; }
}
`;

/**
 * Cuts corosync's traffic inside every node's namespace at once (one atomic nft transaction per
 * node, all started together); Fencer stays reachable, as in a heartbeat-network failure.
 * Resolves with the time the last rule set was in place.
 */
export async function cutCorosync(
  names: LabNames,
  nodes: readonly LabNode[] = labNodes,
): Promise<number> {
  await Promise.all(
    nodes.map((node) =>
      runOk(['ip', 'netns', 'exec', names.nodeNs(node), 'nft', '-f', '-'], { input: cutRules }),
    ),
  );
  return Date.now();
}

/** Removes the cut (a node without it is left alone). */
export async function healCorosync(
  names: LabNames,
  nodes: readonly LabNode[] = labNodes,
): Promise<void> {
  await Promise.all(
    nodes.map((node) =>
      run(['ip', 'netns', 'exec', names.nodeNs(node), 'nft', 'delete', 'table', 'inet', 'fpm_cut']),
    ),
  );
}

/** Whether a node's corosync traffic is cut right now. */
export async function isCut(names: LabNames, node: LabNode): Promise<boolean> {
  const { code } = await run([
    'ip',
    'netns',
    'exec',
    names.nodeNs(node),
    'nft',
    'list',
    'table',
    'inet',
    'fpm_cut',
  ]);
  return code === 0;
}
