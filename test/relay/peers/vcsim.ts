import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer } from './processes.ts';
import type { TestPki } from './tls.ts';

const here = dirname(fileURLToPath(import.meta.url));
const source = resolve(here, '../vcsim/main.go');
const cacheDir = resolve(here, '../../../node_modules/.cache/fencer-relay-test');

/**
 * Builds test/relay/vcsim/main.go against Debian's govmomi in GOPATH mode (the package has no
 * go.mod and no module proxy is needed). Cached by the source's hash; ~20 s the first time.
 */
export function buildVcsim(): string {
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const binary = join(cacheDir, `vcsim-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(join(cacheDir, 'gopath'), { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync('go', ['build', '-o', tmp, source], {
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: `${join(cacheDir, 'gopath')}:/usr/share/gocode`,
        GOFLAGS: '',
        GOCACHE: process.env['GOCACHE'] ?? join(cacheDir, 'gocache'),
      },
      stdio: 'pipe',
      timeout: 300_000,
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new Error(`building the vCenter simulator failed: ${stderr.slice(-1000)}`);
  }
  renameSync(tmp, binary);
  return binary;
}

export interface VcsimVm {
  name: string;
  moref: string;
  vmx: string;
  powerState: string;
}

export interface Vcsim {
  /** `https://127.0.0.1:PORT/sdk` */
  url: string;
  /** PEM file that verifies the simulator's certificate. */
  ca: string;
  user: string;
  password: string;
  vms: VcsimVm[];
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts govmomi's vCenter simulator (VPX model: 4 VMs, all poweredOn) over HTTPS with the
 * test PKI's server certificate. Only `user`/`password` may log in: the simulator's default
 * accepts any non-empty password.
 */
export async function startVcsim(options: {
  pki: TestPki;
  user?: string;
  password?: string;
  esx?: boolean;
}): Promise<Vcsim> {
  const user = options.user ?? 'root';
  const password = options.password ?? `vc-Pw-${randomBytes(6).toString('hex')}`;
  const args = [
    '-listen',
    '127.0.0.1:0',
    '-cert',
    options.pki.serverCert,
    '-key',
    options.pki.serverKey,
  ];
  args.push('-user', user);
  if (options.esx) args.push('-esx');
  const { peer, readyLine } = await startPeer(buildVcsim(), args, {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', VCSIM_PASSWORD: password, TMPDIR: '/tmp' },
    ready: (line) => line.startsWith('{') && line.includes('"url"'),
    timeoutMs: 20_000,
  });
  const ready = JSON.parse(readyLine) as { url: string; vms: VcsimVm[] };
  return {
    url: ready.url,
    ca: options.pki.caCert,
    user,
    password,
    vms: ready.vms,
    pid: peer.pid,
    stop: () => peer.stop(),
  };
}
