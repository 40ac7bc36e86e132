import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's AWS CLI: a second, independent client for the fake EC2 endpoint (awsCli.test.ts). */
export const awsCliPath = '/usr/bin/aws';

/**
 * Once per run of the `cloud` project: install Debian's awscli when it is missing (as root,
 * non-interactive), so a fresh machine runs every test. When that is impossible the run fails
 * with the command to fix it; the CLI test is never skipped.
 */
export default function setup(): void {
  if (existsSync(awsCliPath)) return;
  const command = 'DEBIAN_FRONTEND=noninteractive apt-get install -y awscli';
  if (process.getuid?.() !== 0) {
    throw new Error(`the cloud tests need ${awsCliPath}; install it as root: ${command}`);
  }
  process.stderr.write('[cloud setup] installing awscli with apt\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another job may hold the dpkg lock (parallel installs on CI): wait for it instead of failing.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  try {
    execFileSync('apt-get', [...lock, 'update', '-qq'], { env, stdio: 'pipe', timeout: 300_000 });
    execFileSync('apt-get', [...lock, 'install', '-y', '-qq', 'awscli'], {
      env,
      stdio: 'pipe',
      timeout: 600_000,
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new Error(`could not install awscli (${stderr.trim().slice(-500)}); run: ${command}`);
  }
  if (!existsSync(awsCliPath))
    throw new Error(`apt did not install ${awsCliPath}; run: ${command}`);
}
