import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throwaway CA and a server certificate for 127.0.0.1/localhost signed by it (PEM text). */
export interface TestCa {
  /** The CA certificate: what a client must trust (the `ca` option of azure-vm / aws-ec2). */
  caPem: string;
  /** The same CA certificate as a file, for `ca:` in a fencer.yaml or NODE_EXTRA_CA_CERTS. */
  caFile: string;
  certPem: string;
  keyPem: string;
  dir: string;
  dispose(): Promise<void>;
}

/**
 * Made with the real `openssl` so the SDKs verify a real chain: a client trusts the CA, never
 * "any certificate" (no NODE_TLS_REJECT_UNAUTHORIZED, no rejectUnauthorized: false).
 */
export async function createTestCa(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'fencer-cloud-ca-'));
  const path = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=Fencer test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await writeFile(
    path('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.crt'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-out',
    path('server.crt'),
    '-days',
    '2',
    '-extfile',
    path('server.ext'),
  ]);
  const [caPem, certPem, keyPem] = await Promise.all(
    ['ca.crt', 'server.crt', 'server.key'].map((name) => readFile(path(name), 'utf8')),
  );
  return {
    caPem: caPem ?? '',
    caFile: path('ca.crt'),
    certPem: certPem ?? '',
    keyPem: keyPem ?? '',
    dir,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
