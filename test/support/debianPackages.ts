import { execFileSync } from 'node:child_process';

/** Which of these Debian packages are not installed. */
export function missingPackages(packages: readonly string[]): string[] {
  return packages.filter((pkg) => {
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format, not JS
      return !execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { stdio: 'pipe' })
        .toString()
        .includes('install ok installed');
    } catch {
      return true;
    }
  });
}

/**
 * Installs missing Debian packages for a test setup (as root, non-interactive), so `npm test`
 * works on a fresh machine. Several vitest projects may do this at once: one flock serialises
 * them (apt's own locks would make the second one fail). When it cannot install, it throws
 * with the command to run; tests are never skipped.
 */
export function ensureDebianPackages(
  packages: readonly string[],
  log: (line: string) => void = () => {},
): void {
  const missing = missingPackages(packages);
  if (missing.length === 0) return;
  const command = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0)
    throw new Error(
      `these tests need Debian packages ${missing.join(', ')}; as root run: ${command}`,
    );
  log(`installing ${missing.join(' ')} with apt`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) =>
    execFileSync(
      'flock',
      ['/tmp/fencer-apt.lock', 'apt-get', '-o', 'DPkg::Lock::Timeout=300', ...args],
      { env, stdio: 'pipe', timeout: 900_000 },
    );
  try {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new Error(
      `could not install ${missing.join(' ')} (${stderr.trim().slice(-600)}); run: ${command}`,
    );
  }
  const still = missingPackages(missing);
  if (still.length > 0) throw new Error(`apt did not install ${still.join(', ')}; run: ${command}`);
}
