import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedAzurite } from '../../support/azurite.ts';

/**
 * Azurite with OAuth on (`--oauth basic`): it refuses requests without a bearer token whose
 * issuer, audience and lifetime look like Entra's (it does not check signatures), the way a
 * storage account with shared-key access off refuses keys. OAuth needs HTTPS, so it serves a
 * throwaway self-signed certificate; clients trust it through NODE_EXTRA_CA_CERTS=`caFile`.
 */
export interface OAuthAzurite {
  tableServiceUri: string;
  queueServiceUri: string;
  caFile: string;
  stop(): Promise<void>;
}

const account = 'devstoreaccount1';

export async function startOAuthAzurite(): Promise<OAuthAzurite> {
  const dir = mkdtempSync(join(tmpdir(), 'fencer-azurite-oauth-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
    ],
    { stdio: 'ignore' },
  );
  // `--loose` (set by the embedded host) only relaxes unsupported headers; OAuth is still checked.
  const azurite = await startEmbeddedAzurite({
    extraArgs: ['--oauth', 'basic', '--cert', cert, '--key', key],
  });
  return {
    tableServiceUri: `https://127.0.0.1:${azurite.ports.table}/${account}`,
    queueServiceUri: `https://127.0.0.1:${azurite.ports.queue}/${account}`,
    caFile: cert,
    stop: async () => {
      await azurite.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
