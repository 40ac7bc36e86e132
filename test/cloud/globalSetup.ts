import { ensureDebianPackages } from '../support/debianPackages.ts';

/** Debian's AWS CLI: a second, independent client for the fake EC2 endpoint (awsCli.test.ts). */
export const awsCliPath = '/usr/bin/aws';

/**
 * Once per run of the `cloud` project: install Debian's awscli when it is missing, so a fresh
 * machine runs every test. When that is impossible the run fails with the command to fix it;
 * the CLI test is never skipped.
 */
export default function setup(): void {
  ensureDebianPackages(['awscli'], (line) => process.stderr.write(`[cloud setup] ${line}\n`));
}
