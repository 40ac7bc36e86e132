import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '../../core/config/issues.ts';
import { relayYaml } from '../../relay-agent/config.ts';
import { loadRelayConfig } from '../../relay-agent/loadConfig.ts';
import { redact } from '../../relay-agent/runner.ts';
import { makeTestPki, type TestPki } from './peers/tls.ts';

let dir: string;
let pki: TestPki;
const key = Buffer.alloc(32, 3).toString('base64');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
  pki = makeTestPki(dir);
  writeFileSync(join(dir, 'minute-maid.pw'), 'bmc-pw\n', { mode: 0o600 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** DESIGN.md's relay.yaml, with this test's TLS files and password file. */
const designExample = () => `
listen: 127.0.0.1:7443
tls: { cert: ${pki.serverCert}, key: ${pki.serverKey} }   # clientCa: optional
keys:
  fencer-prod: { secretRef: env:FENCER_RELAY_KEY }
targets:
  minute-maid-bmc:
    ipmi: { host: 192.168.0.1, port: 623, interface: lanplus, cipherSuite: 3, privilege: ADMINISTRATOR,
            user: root, password: { secretRef: file:minute-maid.pw } }
  lampserver:
    vsphere: { url: https://10.0.0.1/sdk, user: root, password: { secretRef: env:VSPHERE_PW },
               vm: { name: lampserver }, ca: ${pki.caCert} }
  oracle:
    vmware-cmd: { host: 10.0.0.1, user: root, password: { secretRef: env:VSPHERE_PW },
                  vmx: /vmfs/volumes/4e1e1386-0b862fae-a859-0019b9cb28bc/oracle10/oracle.vmx }
  legacy:
    esxcli: { server: 10.0.0.1, user: root, password: { secretRef: env:VSPHERE_PW },
              vm: { name: legacy }, worldId: 1234567 }   # vm: { name | vmx } verifies; worldId alone cannot
`;

function load(text: string, env: Record<string, string> = {}) {
  const file = join(dir, `relay-${Math.random()}.yaml`);
  writeFileSync(file, text);
  return loadRelayConfig(file, env);
}

function issuesOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    load(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('relay.yaml', () => {
  it("loads DESIGN.md's example, resolving secrets (relative files from the config's folder)", () => {
    const config = load(designExample(), { FENCER_RELAY_KEY: key, VSPHERE_PW: 'vc-pw' });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 7443 });
    expect(config.keys.get('fencer-prod')).toBe(key);
    expect([...config.targets.entries()].map(([n, t]) => `${n}:${t.kind}`)).toEqual([
      'minute-maid-bmc:ipmi',
      'lampserver:vsphere',
      'oracle:vmware-cmd',
      'legacy:esxcli',
    ]);
    expect(config.warnings).toEqual([]);
    const bmc = config.targets.get('minute-maid-bmc');
    expect(bmc).toMatchObject({
      kind: 'ipmi',
      password: 'bmc-pw',
      options: { passwordVia: 'env', command: 'ipmitool' },
    });
  });

  it('loads an esxcli world id alone with a warning, and refuses an esxcli target without either', () => {
    const base = designExample().split('\n  legacy:')[0];
    const worldOnly = load(
      `${base}\n  legacy:\n    esxcli: { server: s, user: u, password: { secretRef: env:VSPHERE_PW }, worldId: 7 }\n`,
      { FENCER_RELAY_KEY: key, VSPHERE_PW: 'vc-pw' },
    );
    expect(worldOnly.warnings).toEqual([
      expect.stringMatching(
        /^targets\.legacy\.esxcli: worldId alone cannot be verified.*vm: \{ name/,
      ),
    ]);
    const issues = issuesOf(
      `${base}\n  legacy:\n    esxcli: { server: s, user: u, password: { secretRef: env:VSPHERE_PW } }\n  both:\n    esxcli: { server: s, user: u, password: { secretRef: env:VSPHERE_PW }, vm: { name: a, vmx: /a.vmx } }\n`,
      { FENCER_RELAY_KEY: key, VSPHERE_PW: 'vc-pw' },
    );
    expect(issues).toEqual([
      expect.stringMatching(
        /^targets\.legacy\.esxcli: esxcli needs vm: \{ name \} or vm: \{ vmx \}/,
      ),
      'targets.both.esxcli.vm: vm needs exactly one of name, vmx',
    ]);
  });

  it('validates the shipped relay.example.yaml and relay.pull.example.yaml', () => {
    for (const file of ['relay.example.yaml', 'relay.pull.example.yaml']) {
      const text = readFileSync(join(import.meta.dirname, '../../relay-agent', file), 'utf8');
      expect(relayYaml.safeParse(parse(text)).success, file).toBe(true);
    }
  });

  it('reports every problem at once, by path', () => {
    const issues = issuesOf(
      `
listen: localhost
tls: { cert: /does/not/exist.crt, key: ${pki.serverKey} }
keys:
  weak: { secretRef: env:WEAK }
  missing: { secretRef: env:NOT_SET }
targets:
  two-kinds:
    ipmi: { host: h, user: u, password: { secretRef: env:PW } }
    esxcli: { server: s, user: u, password: { secretRef: env:PW }, worldId: 1 }
  typo:
    ipmi: { host: h, user: u, pasword: { secretRef: env:PW } }
  vm-twice:
    vsphere: { url: https://vc/sdk, user: u, password: { secretRef: env:PW }, vm: { name: a, moref: vm-1 } }
`,
      { WEAK: 'c2hvcnQ=', PW: 'x' },
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^listen: must be HOST:PORT/),
        expect.stringMatching(/^targets\.two-kinds: a target needs exactly one of/),
        expect.stringMatching(/^targets\.typo\.ipmi: unknown field\(s\): pasword/),
        expect.stringMatching(/^targets\.vm-twice\.vsphere\.vm: vm needs exactly one of/),
      ]),
    );
  });

  it('reports unresolvable secrets, weak keys and unreadable files by path', () => {
    const issues = issuesOf(
      `
listen: 127.0.0.1:0
tls: { cert: /does/not/exist.crt, key: ${pki.serverKey} }
keys:
  weak: { secretRef: env:WEAK }
targets:
  bmc: { ipmi: { host: h, user: u, password: { secretRef: env:NOT_SET } } }
  vc: { vsphere: { url: https://vc/sdk, user: u, password: { secretRef: file:nope.pw }, vm: { name: a }, ca: nope.pem } }
`,
      { WEAK: 'c2hvcnQ=' },
    );
    expect(issues).toEqual([
      expect.stringMatching(/^keys\.weak: a signing secret must encode at least 32/),
      'targets.bmc.ipmi.password: environment variable NOT_SET is not set',
      expect.stringMatching(/^targets\.vc\.vsphere\.password: cannot read secret file .*nope\.pw/),
      expect.stringMatching(/^targets\.vc\.vsphere\.ca: cannot read nope\.pem/),
      expect.stringMatching(/^tls\.cert: cannot read \/does\/not\/exist\.crt/),
    ]);
  });
});

describe('redact', () => {
  it('masks secret flags, --password=, and known secret text wherever it appears', () => {
    const line = redact(
      'ipmitool',
      ['-H', 'bmc', '-P', 'pw1', '--password=pw2', '-U', 'admin', 'note: pw3 here', '-p', '623'],
      ['pw3'],
    );
    expect(line).toBe('ipmitool -H bmc -P *** --password=*** -U admin "note: *** here" -p 623');
  });
});
