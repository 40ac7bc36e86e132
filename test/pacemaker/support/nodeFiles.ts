import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LabNames, type LabNode, labNet, labNodes } from './labNames.ts';
import { runOk } from './shell.ts';

/** corosync's settings for the lab; `token` is short so a cut link is noticed in ~2 s. */
export const corosyncTiming = { tokenMs: 1000 } as const;

export function corosyncConf(clusterName: string): string {
  const nodes = labNodes
    .map(
      (node, i) => `  node {
    ring0_addr: ${labNet.address(node)}
    name: ${node}
    nodeid: ${i + 1}
  }`,
    )
    .join('\n');
  return `totem {
  version: 2
  cluster_name: ${clusterName}
  transport: knet
  crypto_cipher: none
  crypto_hash: none
  token: ${corosyncTiming.tokenMs}
}
nodelist {
${nodes}
}
quorum {
  provider: corosync_votequorum
  two_node: 1
}
logging {
  to_logfile: yes
  logfile: /var/log/corosync/corosync.log
  to_stderr: no
  to_syslog: no
  timestamp: on
}
`;
}

/** The numeric id of a user or group the Debian packages created (field 3 of getent). */
async function idOf(database: 'passwd' | 'group', name: string): Promise<number> {
  return Number((await runOk(['getent', database, name])).split(':')[2]);
}

/**
 * A node's private directories (bind-mounted over /etc/corosync, /var/lib/{corosync,pacemaker}
 * and /var/log inside it, with the owners the Debian packages give them), its env file for the
 * scripts, and its Fencer key. Returns the env file's path.
 */
export async function writeNodeFiles(
  names: LabNames,
  node: LabNode,
  clusterName: string,
  nodeKey: string,
): Promise<string> {
  const dir = names.nodeDir(node);
  const uid = await idOf('passwd', 'hacluster');
  const gid = await idOf('group', 'haclient');
  const mk = (path: string, mode: number, owned = false) => {
    mkdirSync(join(dir, path), { recursive: true, mode });
    if (owned) chownSync(join(dir, path), uid, gid);
  };
  mk('etc/corosync', 0o755);
  mk('var/lib/corosync', 0o755);
  mk('var/lib/pacemaker', 0o750, true);
  for (const sub of ['cib', 'pengine', 'blackbox', 'cores'])
    mk(`var/lib/pacemaker/${sub}`, 0o750, true);
  mk('var/log/corosync', 0o755);
  mk('var/log/pacemaker', 0o770, true);
  mk('var/log/pacemaker/bundles', 0o770, true);
  // The agent runs as root (fenced) and as hacluster (the controller reads its metadata): both log.
  mk('var/log/fence_fencer', 0o755);
  chmodSync(join(dir, 'var/log/fence_fencer'), 0o1777);
  writeFileSync(join(dir, 'etc/corosync/corosync.conf'), corosyncConf(clusterName));
  writeFileSync(join(dir, 'node.key'), `${nodeKey}\n`, { mode: 0o600 });
  const envFile = join(dir, 'node.env');
  writeFileSync(envFile, `NODE=${node}\nNS=${names.nodeNs(node)}\nDIR=${dir}\nLAB=${names.dir}\n`);
  return envFile;
}
