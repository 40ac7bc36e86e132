import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A throw-away PKI: one CA, a server certificate for 127.0.0.1/localhost, a client certificate. */
export interface TestPki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** Creates the PKI with the openssl CLI in `dir` (P-256 keys: fast). */
export function makeTestPki(dir: string, name = 'test'): TestPki {
  const file = (f: string) => join(dir, `${name}-${f}`);
  const key = (out: string) =>
    openssl(
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out],
      dir,
    );
  key(file('ca.key'));
  // -subj on the command line: openssl must never prompt (no stdin in CI).
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      file('ca.key'),
      '-out',
      file('ca.crt'),
      '-days',
      '2',
      '-subj',
      `/CN=${name} test CA`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const leaf = (base: string, cn: string, ext: string) => {
    key(file(`${base}.key`));
    openssl(
      [
        'req',
        '-new',
        '-key',
        file(`${base}.key`),
        '-out',
        file(`${base}.csr`),
        '-subj',
        `/CN=${cn}`,
      ],
      dir,
    );
    writeFileSync(file(`${base}.ext`), ext);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        file(`${base}.csr`),
        '-CA',
        file('ca.crt'),
        '-CAkey',
        file('ca.key'),
        '-CAcreateserial',
        '-out',
        file(`${base}.crt`),
        '-days',
        '2',
        '-extfile',
        file(`${base}.ext`),
      ],
      dir,
    );
  };
  leaf(
    'server',
    '127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  leaf('client', 'fencer-function', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: file('ca.crt'),
    caKey: file('ca.key'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
  };
}
