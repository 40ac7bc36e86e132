import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/ports.ts';

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
  const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
  const watchdog = fileURLToPath(new URL('../../../cli/azuriteWatchdog.cjs', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      watchdog,
      ...['--silent', '--disableTelemetry', '--skipApiVersionCheck', '--inMemoryPersistence'],
      ...['--oauth', 'basic', '--cert', cert, '--key', key],
      ...['--blobHost', '127.0.0.1', '--blobPort', String(blobPort)],
      ...['--queueHost', '127.0.0.1', '--queuePort', String(queuePort)],
      ...['--tableHost', '127.0.0.1', '--tablePort', String(tablePort)],
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  await listening(child);
  return {
    tableServiceUri: `https://127.0.0.1:${tablePort}/${account}`,
    queueServiceUri: `https://127.0.0.1:${queuePort}/${account}`,
    caFile: cert,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin?.end(); // the watchdog stops Azurite when its stdin ends
        const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Azurite (OAuth) did not start:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (
        /Queue service is successfully listening/.test(output) &&
        /Table service is/.test(output)
      ) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite (OAuth) exited with ${code}:\n${output}`));
    });
  });
}
