import type { Command } from 'commander';
import { systemClock } from '../core/clock.ts';
import { resolveSecret } from '../core/config/secrets.ts';
import { ApiClient } from './apiClient.ts';
import { UsageError } from './usageError.ts';

export interface ClientFlags {
  url?: string;
  keyId?: string;
  secretFile?: string;
}

/** --url, --key-id, --secret-file with their environment defaults, for every API command. */
export function withClientOptions(
  command: Command,
  keyHelp = 'key id: CLUSTER/NODE or admin/NAME',
): Command {
  return command
    .option('--url <url>', 'API base URL (default: $FENCER_URL)', process.env.FENCER_URL)
    .option('--key-id <id>', `${keyHelp} (default: $FENCER_KEY_ID)`, process.env.FENCER_KEY_ID)
    .option(
      '--secret-file <file>',
      "file holding the key's secret (default: $FENCER_SECRET_FILE, or $FENCER_SECRET)",
      process.env.FENCER_SECRET_FILE,
    );
}

export function clientFrom(flags: ClientFlags): {
  client: ApiClient;
  keyId: string;
  url: string;
  secret: string;
} {
  if (!flags.url) throw new UsageError('--url or FENCER_URL is required');
  if (!/^https?:\/\/[^/]/.test(flags.url))
    throw new UsageError(`--url ${flags.url}: must be an http:// or https:// URL`);
  if (!flags.keyId || !/^[^/]+\/[^/]+$/.test(flags.keyId))
    throw new UsageError('--key-id CLUSTER/NODE or admin/NAME is required');
  const secret = readSecret(flags.secretFile, process.env);
  if (!secret) throw new UsageError('--secret-file FILE or FENCER_SECRET is required');
  return {
    client: new ApiClient({ url: flags.url, keyId: flags.keyId, secret, clock: systemClock }),
    keyId: flags.keyId,
    url: flags.url,
    secret,
  };
}

/**
 * A key's secret from a file (trailing newline dropped, as for `file:` secretRefs), else from
 * FENCER_SECRET. The secret never comes from argv.
 */
export function readSecret(
  file: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  if (file) return resolveSecret(`file:${file}`, { env, baseDir: process.cwd() });
  return env.FENCER_SECRET || undefined;
}
