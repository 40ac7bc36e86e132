import { X509Certificate } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../core/protocol/api.ts';
import { makeTestPki } from '../relay/peers/tls.ts';
import { runFencer, startServe } from '../support/processes.ts';
import { writeTestConfig } from '../support/testCluster.ts';

/**
 * `fencer serve` as a process: one process and one TCP port (no emulator child), a private
 * ledger file, plain HTTP on loopback only, HTTPS with a certificate reloaded on SIGHUP, and
 * `fencer backup` of the running ledger.
 */
const setup = writeTestConfig({ sp: { nodes: { a: {}, b: {}, c: {} } } });
const dataDir = join(mkdtempSync(join(tmpdir(), 'fencer-serve-')), 'data');
const running: Awaited<ReturnType<typeof startServe>>[] = [];
afterAll(() => {
  for (const serve of running) serve.child.kill('SIGKILL');
});

/** Pids whose process group is `pgid` (field 5 of /proc/PID/stat, after the command). */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const commandOf = (pid: number) =>
  readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

/** TCP ports in LISTEN (state 0A) on sockets the given processes hold. */
function listeningPorts(pids: number[]): number[] {
  const listening = new Map<string, number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && cols[9])
        listening.set(cols[9], Number.parseInt(cols[1]?.split(':').at(-1) ?? '', 16));
    }
  }
  const ports = new Set<number>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      const port = inode ? listening.get(inode) : undefined;
      if (port !== undefined) ports.add(port);
    }
  }
  return [...ports];
}

const keyFile = (keyId: string) => {
  const file = join(setup.dir, `${keyId.replace('/', '-')}.key`);
  writeFileSync(file, `${setup.secret(keyId)}\n`, { mode: 0o600 });
  return file;
};

describe('fencer serve as a process', () => {
  it('is one process with one listening TCP port; its ledger is private; backup copies it live', async () => {
    // Prepare
    const serve = await startServe(
      ['--config', setup.file, '--data-dir', dataDir],
      setup.env,
      60_000,
      {
        detached: true,
      },
    );
    running.push(serve);
    const pid = serve.child.pid ?? -1;
    const answer = await setup
      .client(serve.url, 'sp/a')
      .request('POST', '/v1/clusters/sp/reports', { target: 'b' });
    expect(answer.status).toBe(202);
    const id = (answer.body as Incident).incidentId;

    // Assess: the group is serve (and, from a fresh checkout, tsx's esbuild transform service,
    // which compiles the TypeScript sources over stdio), listening on the one port it printed.
    const members = groupMembers(pid);
    const others = members.filter((p) => p !== pid).map(commandOf);
    for (const command of others) expect(command).toMatch(/esbuild.*--service/);
    expect(listeningPorts(members)).toEqual([serve.port]);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dataDir).sort()).toEqual(['fencer.db', 'fencer.db-shm', 'fencer.db-wal']);
    for (const file of readdirSync(dataDir))
      expect(statSync(join(dataDir, file)).mode & 0o777).toBe(0o600);

    // Act: back up while it runs, then serve the copy elsewhere.
    const copyDir = mkdtempSync(join(tmpdir(), 'fencer-restore-'));
    const backup = await runFencer(['backup', '--data-dir', dataDir, join(copyDir, 'copy.db')]);
    expect(backup.output).toMatch(/backed up \d+ pages/);
    expect(backup.code).toBe(0);
    expect(statSync(join(copyDir, 'copy.db')).mode & 0o777).toBe(0o600);
    expect(
      (await runFencer(['backup', '--data-dir', dataDir, join(copyDir, 'copy.db')])).code,
    ).toBe(2);
    expect(await serve.stop()).toBe(0);
    const restored = join(copyDir, 'restored');
    mkdirSync(restored, { mode: 0o700 });
    copyFileSync(join(copyDir, 'copy.db'), join(restored, 'fencer.db'));
    const second = await startServe(['--config', setup.file, '--data-dir', restored], setup.env);
    running.push(second);
    const found = await setup
      .client(second.url, 'sp/a')
      .request('GET', `/v1/clusters/sp/incidents/${id}`);
    expect(found.body).toMatchObject({ incidentId: id, target: 'b' });
    expect(await second.stop()).toBe(0);
  });

  it('refuses plain HTTP on a non-loopback address, with a clear message and exit 2', async () => {
    const { code, output } = await runFencer(
      ['serve', '--config', setup.file, '--listen', '0.0.0.0:0'],
      setup.env,
    );
    expect(output).toContain('refusing to serve plain HTTP on 0.0.0.0');
    expect(output).toContain('--tls-cert');
    expect(code).toBe(2);
    const half = await runFencer([
      'serve',
      '--config',
      setup.file,
      '--listen',
      '0.0.0.0:0',
      '--tls-cert',
      setup.file,
    ]);
    expect(half.code).toBe(2);
  });

  it('serves HTTPS with the given certificate (a signed report works) and reloads it on SIGHUP', async () => {
    // Prepare: a certificate from one CA, then another one to rotate to.
    const dir = mkdtempSync(join(tmpdir(), 'fencer-tls-'));
    const first = makeTestPki(dir, 'first');
    const next = makeTestPki(dir, 'next');
    const cert = join(dir, 'serve.crt');
    const key = join(dir, 'serve.key');
    copyFileSync(first.serverCert, cert);
    copyFileSync(first.serverKey, key);
    const serve = await startServe(
      ['--config', setup.file, '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key],
      setup.env,
    );
    running.push(serve);
    expect(serve.url).toBe(`https://127.0.0.1:${serve.port}/api`);

    // Act + Assess: `fencer report` over HTTPS, trusting the first CA.
    const report = await runFencer(
      [
        'report',
        '--url',
        serve.url,
        '--key-id',
        'sp/a',
        '--secret-file',
        keyFile('sp/a'),
        '--target',
        'c',
        '--wait',
        '30',
      ],
      { NODE_EXTRA_CA_CERTS: first.caCert },
    );
    expect(report.output).toMatch(/c fenced/);
    expect(report.code).toBe(0);

    // Act: rotate the files, SIGHUP.
    copyFileSync(next.serverCert, cert);
    copyFileSync(next.serverKey, key);
    serve.child.kill('SIGHUP');
    for (let waited = 0; !serve.output().includes('TLS certificate reloaded'); waited += 50) {
      if (waited > 10_000) throw new Error(`no reload:\n${serve.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Assess: a new connection gets the new certificate.
    const presented = await new Promise<string>((resolve, reject) => {
      const socket = connect(
        { host: '127.0.0.1', port: serve.port, ca: readFileSync(next.caCert) },
        () => {
          resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
          socket.end();
        },
      );
      socket.once('error', reject);
    });
    expect(presented).toBe(new X509Certificate(readFileSync(next.serverCert)).fingerprint256);
    expect(await serve.stop()).toBe(0);
  });
});
