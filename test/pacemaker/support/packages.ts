import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { ensureDebianPackages, missingPackages } from '../../support/debianPackages.ts';

/** Debian packages the Pacemaker lab needs, and what each brings. */
export const pacemakerTestPackages = [
  { name: 'pacemaker', why: 'pacemakerd and its daemons (fenced runs fence_fencer)' },
  { name: 'corosync', why: 'membership; its traffic is what a split brain cuts' },
  { name: 'pacemaker-cli-utils', why: 'crm_mon, cibadmin, crm_attribute, stonith_admin' },
  { name: 'pacemaker-resource-agents', why: 'ocf:pacemaker:Dummy, the resource that moves' },
  { name: 'resource-agents', why: 'the OCF shell functions the Dummy agent sources' },
  { name: 'openipmi', why: "ipmi_sim: each node's BMC, whose power-off kills the node" },
  { name: 'ipmitool', why: 'the IPMI client the relay runs' },
  { name: 'socat', why: "forwards the nodes' network to Fencer on loopback" },
  { name: 'nftables', why: "cuts corosync's traffic inside a node's network namespace" },
  { name: 'iptables', why: "the seed document's LifeKeeper comm-path cut (TCP 7365)" },
  { name: 'iproute2', why: 'network namespaces, the bridge, veth pairs' },
  { name: 'fence-agents', why: "metadata.rng, the schema of a fence agent's metadata" },
  { name: 'libxml2-utils', why: 'xmllint, to validate the metadata against it' },
  { name: 'openssl', why: "the relay's test certificates" },
] as const;

const policyRcD = '/usr/sbin/policy-rc.d';

/**
 * Installs what is missing (as root, non-interactive). The packages' maintainer scripts would
 * start corosync, pacemaker and openipmi on the host through invoke-rc.d (no systemd here, so
 * the SysV scripts run): a policy-rc.d answering 101 ("action forbidden") holds them back while
 * apt runs. An existing policy-rc.d (container images ship one) is left as it is.
 */
export function ensurePacemakerPackages(log: (line: string) => void = () => {}): void {
  const names = pacemakerTestPackages.map((p) => p.name);
  if (missingPackages(names).length === 0) return;
  // Not root: ensureDebianPackages throws with the command to run.
  const ours = process.getuid?.() === 0 && !existsSync(policyRcD);
  if (ours) {
    writeFileSync(
      policyRcD,
      '#!/bin/sh\n# written by the Fencer Pacemaker tests while apt runs\nexit 101\n',
      {
        mode: 0o755,
      },
    );
  }
  try {
    ensureDebianPackages(names, log);
  } finally {
    if (ours) rmSync(policyRcD, { force: true });
  }
}
