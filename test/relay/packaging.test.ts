import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { relayYaml } from '../../relay-agent/config.ts';

/** The systemd unit and the install script, staged into a temporary root (DESTDIR). */
const relayDir = join(import.meta.dirname, '../../relay-agent');
const unitFile = join(relayDir, 'systemd/fencer-relay.service');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relay-packaging-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `Key=value` lines of the unit's [Service] section (keys may repeat). */
function serviceDirectives(): [string, string][] {
  const text = readFileSync(unitFile, 'utf8');
  const service = text.split(/^\[/m).find((s) => s.startsWith('Service]')) ?? '';
  return service
    .split('\n')
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

describe('fencer-relay.service', () => {
  it('runs as a dedicated user, hardened, with credentials and restart on failure', () => {
    const d = new Map(serviceDirectives());
    expect(d.get('User')).toBe('fencer-relay');
    expect(d.get('ExecStart')).toBe(
      '/usr/bin/node --max-semi-space-size=1 --optimize-for-size /opt/fencer-relay/fencer-relay.mjs --config /etc/fencer-relay/relay.yaml',
    );
    expect(d.get('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(d.get('Restart')).toBe('on-failure');
    for (const key of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'PrivateDevices']) {
      expect(d.get(key), key).toBe('yes');
    }
    expect(d.get('ProtectSystem')).toBe('strict');
    expect(d.get('CapabilityBoundingSet')).toBe('');
    expect(d.get('LoadCredential')).toMatch(
      /^relay-key:\/etc\/fencer-relay\/credentials\/relay-key$/,
    );
    // A connection flood must not leave the relay without descriptors for ipmitool.
    expect(d.get('LimitNOFILE')).toBe('65536');
    // V8's JIT needs W+X memory: this setting would kill the service at start.
    expect(d.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('passes systemd-analyze verify without a warning', () => {
    // systemd is part of every Debian system this project supports; its absence is a failure.
    const result = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    const warnings = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((l) => l.includes('fencer-relay.service'));
    expect(warnings).toEqual([]);
  });
});

describe('install.sh', () => {
  const bundle = () => {
    const file = join(dir, 'fencer-relay.mjs');
    writeFileSync(file, '#!/usr/bin/env node\n');
    return file;
  };
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

  it('stages the build, the unit, a 0640 config, a 0600 relay key and a TLS pair', () => {
    const root = join(dir, 'root');
    execFileSync(
      'sh',
      [join(relayDir, 'install.sh'), '--bundle', bundle(), '--hostname', 'relay.test'],
      {
        env: { PATH: process.env['PATH'], DESTDIR: root },
        stdio: 'pipe',
      },
    );
    const etc = join(root, 'etc/fencer-relay');
    expect(mode(join(root, 'opt/fencer-relay/fencer-relay.mjs'))).toBe('755');
    expect(mode(etc)).toBe('750');
    expect(mode(join(etc, 'relay.yaml'))).toBe('640');
    expect(mode(join(etc, 'credentials'))).toBe('700');
    expect(mode(join(etc, 'credentials/relay-key'))).toBe('600');
    expect(mode(join(etc, 'tls.key'))).toBe('640');
    expect(readFileSync(join(root, 'etc/systemd/system/fencer-relay.service'), 'utf8')).toBe(
      readFileSync(unitFile, 'utf8'),
    );
    const key = readFileSync(join(etc, 'credentials/relay-key'), 'utf8').trim();
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const subject = execFileSync(
      'openssl',
      ['x509', '-in', join(etc, 'tls.crt'), '-noout', '-ext', 'subjectAltName'],
      {
        encoding: 'utf8',
      },
    );
    expect(subject).toContain('DNS:relay.test');
  });

  it('keeps existing config, key and certificate on a second run', () => {
    const root = join(dir, 'again');
    const run = () =>
      execFileSync('sh', [join(relayDir, 'install.sh'), '--bundle', bundle()], {
        env: { PATH: process.env['PATH'], DESTDIR: root },
        stdio: 'pipe',
      });
    run();
    const etc = join(root, 'etc/fencer-relay');
    writeFileSync(join(etc, 'relay.yaml'), 'edited: true\n');
    const key = readFileSync(join(etc, 'credentials/relay-key'), 'utf8');
    const cert = readFileSync(join(etc, 'tls.crt'), 'utf8');
    run();
    expect(readFileSync(join(etc, 'relay.yaml'), 'utf8')).toBe('edited: true\n');
    expect(readFileSync(join(etc, 'credentials/relay-key'), 'utf8')).toBe(key);
    expect(readFileSync(join(etc, 'tls.crt'), 'utf8')).toBe(cert);
  });

  it('stages a pull-mode relay with --pull URL --name NAME: a valid relay.yaml, no TLS pair', () => {
    const root = join(dir, 'pull');
    execFileSync(
      'sh',
      [
        join(relayDir, 'install.sh'),
        '--bundle',
        bundle(),
        '--pull',
        'https://fencer.test/api',
        '--name',
        'site1',
      ],
      { env: { PATH: process.env['PATH'], DESTDIR: root }, stdio: 'pipe' },
    );
    const etc = join(root, 'etc/fencer-relay');
    expect(mode(join(etc, 'relay.yaml'))).toBe('640');
    const yaml = relayYaml.parse(parse(readFileSync(join(etc, 'relay.yaml'), 'utf8')));
    expect(yaml.pull).toMatchObject({ url: 'https://fencer.test/api', keyName: 'site1' });
    expect(yaml.listen).toBeUndefined();
    expect(existsSync(join(etc, 'tls.crt'))).toBe(false);
    expect(mode(join(etc, 'credentials/relay-key'))).toBe('600');
    const refused = spawnSync(
      'sh',
      [
        join(relayDir, 'install.sh'),
        '--bundle',
        bundle(),
        '--pull',
        'http://fencer.test/api',
        '--name',
        'site1',
      ],
      {
        env: { PATH: process.env['PATH'], DESTDIR: join(dir, 'pull-http') },
        encoding: 'utf8',
      },
    );
    expect(refused.status).toBe(2);
  });

  it('refuses to run without a build, naming the command that makes one', () => {
    const result = spawnSync(
      'sh',
      [join(relayDir, 'install.sh'), '--bundle', join(dir, 'missing.mjs')],
      {
        env: { PATH: process.env['PATH'], DESTDIR: join(dir, 'none') },
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('npm run build:relay');
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });
});
