import { ensureDebianPackages } from '../../support/debianPackages.ts';

/** Debian packages the relay's real-peer tests need, and what each brings. */
export const relayTestPackages = [
  { name: 'ipmitool', why: 'the real IPMI client the relay runs' },
  { name: 'python3-pyghmi', why: 'the server-side BMC the simulator is built on' },
  { name: 'golang-go', why: 'to build the vCenter simulator' },
  { name: 'golang-github-vmware-govmomi-dev', why: "govmomi's vCenter simulator (library)" },
  { name: 'systemd', why: 'systemd-analyze verify of fencer-relay.service' },
  { name: 'openssl', why: 'test certificates' },
] as const;

/**
 * Installs what is missing with apt (as root, non-interactive), so a fresh machine runs the
 * tests. When that is impossible it throws with the command to run: the tests are never
 * skipped for a missing peer.
 */
export function ensureRelayPackages(log: (line: string) => void = () => {}): void {
  ensureDebianPackages(
    relayTestPackages.map((p) => p.name),
    log,
  );
}
