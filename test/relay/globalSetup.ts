import { ensureRelayPackages } from './peers/packages.ts';
import { buildVcsim } from './peers/vcsim.ts';

/**
 * Once per run of the `relay` project: install the Debian packages of the real peers when they
 * are missing (as root), and build the vCenter simulator. Failing here fails the run with the
 * command to fix it; nothing is skipped.
 */
export default function setup(): void {
  ensureRelayPackages((line) => process.stderr.write(`[relay setup] ${line}\n`));
  buildVcsim();
}
