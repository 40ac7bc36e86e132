import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfigFile, parseConfig } from '../../../core/config/load.ts';
import { resolveSecret } from '../../../core/config/secrets.ts';
import { randomSigningKey } from '../../../core/importer/writeOutput.ts';
import { relayYaml } from '../../../relay-agent/config.ts';
import { fixture, runCli, SUBSCRIPTION } from './support.ts';

/** Every password of the fixtures used here; none may appear in any output. */
const PASSWORDS = [
  'Esx–Pw#1',
  'Bmc Pw 1',
  'Bmc Pw 2',
  'Vm-Pw-A',
  'Hunter-2-Pw',
  'Pw-Good-1',
  'Pw-Status-3',
  'Pw-Pipe-7',
];

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'fencer-import-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('import-stonith-conf without --out', () => {
  it('prints both YAML documents, valid and without passwords, and says --out stores them', async () => {
    // Act
    const run = await runCli([fixture('typographic.conf')]);
    // Assess
    expect(run.code).toBe(0);
    const docs = parseAllDocuments(run.stdout).map((d) => d.toJS());
    expect(docs).toHaveLength(2);
    expect(() =>
      parseConfig(run.stdout.split('\n---\n')[0] ?? '', 'fencer.yaml', { skipSecrets: true }),
    ).not.toThrow();
    expect(relayYaml.safeParse(docs[1]).success).toBe(true);
    for (const password of PASSWORDS) expect(run.stdout + run.stderr).not.toContain(password);
    expect(run.stderr).toContain('Rerun with --out DIR to store them in DIR/secrets/ (0600)');
    expect(run.stdout).toMatch(/^# ===== fencer\.yaml =====\n# fencer\.yaml fragment/);
    expect(readdirSync(work)).toEqual([]);
  });

  it('prints only fencer.yaml when every target is in a cloud', async () => {
    const run = await runCli([fixture('seed-azure.conf'), '--subscription', SUBSCRIPTION]);
    expect(run.code).toBe(0);
    expect(parseAllDocuments(run.stdout)).toHaveLength(1);
    expect(run.stdout).not.toContain('relays:');
  });
});

describe('import-stonith-conf --out', () => {
  it('writes fencer.yaml, relay.yaml and 0600 secrets in 0700 folders; the config loads with its keys', async () => {
    // Prepare
    const out = join(work, 'imported');
    // Act
    const run = await runCli([
      fixture('typographic.conf'),
      '--out',
      out,
      '--relay-url',
      'https://relay.dc1:7443',
    ]);
    // Assess
    expect(run.code).toBe(0);
    expect(mode(out)).toBe(0o700);
    expect(mode(join(out, 'secrets'))).toBe(0o700);
    const secrets = readdirSync(join(out, 'secrets')).sort();
    expect(secrets).toEqual([
      '10.0.0.1-root.pw',
      '192.168.0.1-root.pw',
      '192.168.0.2-root.pw',
      'admin-ops.key',
      'lifekeeper-kool-aid.key',
      'lifekeeper-legacy.key',
      'lifekeeper-minute-maid.key',
      'lifekeeper-vm-HostA.key',
      'lifekeeper-vm-HostB.key',
      'relay-site1.key',
    ]);
    for (const file of secrets) expect(mode(join(out, 'secrets', file))).toBe(0o600);
    const fencerYaml = readFileSync(join(out, 'fencer.yaml'), 'utf8');
    const relayText = readFileSync(join(out, 'relay.yaml'), 'utf8');
    for (const password of PASSWORDS) {
      expect(fencerYaml + relayText + run.stdout + run.stderr).not.toContain(password);
    }
    // Round trip: the generated config validates with every secret resolved.
    const loaded = loadConfigFile(join(out, 'fencer.yaml'), { env: {} });
    expect([...loaded.keys.keys()]).toEqual([
      'lifekeeper/legacy',
      'lifekeeper/vm-HostA',
      'lifekeeper/vm-HostB',
      'lifekeeper/minute-maid',
      'lifekeeper/kool-aid',
      'admin/ops',
    ]);
    expect(loaded.config.relays.site1?.url).toBe('https://relay.dc1:7443');
    // relay.yaml follows the relay agent's schema, and its password references resolve next to it.
    const relay = relayYaml.parse(parseYaml(relayText));
    const passwordOf = (target: string) => {
      const t = relay.targets[target];
      const ref = (t?.ipmi ?? t?.esxcli ?? t?.['vmware-cmd'])?.password.secretRef ?? '';
      return resolveSecret(ref, { env: {}, baseDir: out });
    };
    expect(passwordOf('minute-maid-ipmi')).toBe('Bmc Pw 1');
    expect(passwordOf('legacy-esxcli')).toBe('Esx–Pw#1');
    expect(resolveSecret(relay.keys.fencer?.secretRef ?? '', { env: {}, baseDir: out })).toBe(
      loaded.secret(loaded.config.relays.site1?.key.secretRef ?? ''),
    );
    expect(run.stdout).toContain(`wrote ${join(out, 'fencer.yaml')}`);
  });

  it('refuses to overwrite without --force (exit 2, nothing changed); --force keeps signing keys', async () => {
    // Prepare
    const out = join(work, 'o');
    expect((await runCli([fixture('seed-ipmitool.conf'), '--out', out])).code).toBe(0);
    const keyPath = join(out, 'secrets', 'lifekeeper-kool-aid.key');
    const key = readFileSync(keyPath, 'utf8');
    writeFileSync(join(out, 'fencer.yaml'), 'edited\n');
    // Act
    const refused = await runCli([fixture('seed-ipmitool.conf'), '--out', out]);
    // Assess
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to overwrite');
    expect(readFileSync(join(out, 'fencer.yaml'), 'utf8')).toBe('edited\n');
    // Act
    const forced = await runCli([fixture('seed-ipmitool.conf'), '--out', out, '--force']);
    // Assess
    expect(forced.code).toBe(0);
    expect(readFileSync(join(out, 'fencer.yaml'), 'utf8')).toContain('kool-aid-ipmi');
    expect(readFileSync(keyPath, 'utf8')).toBe(key);
    expect(forced.stdout).toContain(`kept existing key ${keyPath}`);
  });

  it('keeps an existing secrets folder private', async () => {
    const out = join(work, 'o');
    mkdirSync(join(out, 'secrets'), { recursive: true, mode: 0o755 });
    expect((await runCli([fixture('seed-ipmitool.conf'), '--out', out])).code).toBe(0);
    expect(mode(join(out, 'secrets'))).toBe(0o700);
  });
});

describe('import-stonith-conf problems and exit codes', () => {
  it('reports every unmappable line as "line N: reason" and writes nothing (exit 1)', async () => {
    const out = join(work, 'o');
    const run = await runCli([fixture('unknown.conf'), '--out', out]);
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('line '));
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      'line 3',
      'line 4',
      'line 6',
      'line 7',
      'line 8',
      'line 9',
      'line 10',
      'line 11',
    ]);
    expect(run.stderr).toContain('line 3: node-b: unknown command "fence_ipmilan"');
    expect(run.stderr).toContain('pass --allow-partial');
    for (const password of PASSWORDS) expect(run.stdout + run.stderr).not.toContain(password);
    expect(readdirSync(work)).toEqual([]);
  });

  it('imports the rest with --allow-partial (exit 0)', async () => {
    const run = await runCli([
      fixture('unknown.conf'),
      '--allow-partial',
      '--subscription',
      SUBSCRIPTION,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('line 9: node-g: shell operator "|" is not supported');
    const config = parseConfig(run.stdout.split('\n---\n')[0] ?? '', 'fencer.yaml', {
      skipSecrets: true,
    });
    expect(Object.keys(config.config.clusters.lifekeeper?.nodes ?? {})).toEqual([
      'node-a',
      'node-h',
    ]);
  });

  it('exits 1 when nothing at all can be imported, even with --allow-partial', async () => {
    const run = await runCli([fixture('seed-header-examples.conf'), '--allow-partial']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('nothing to import');
    expect(run.stdout).toBe('');
  });

  it('merges one stonith.conf per server, naming the file in messages', async () => {
    const a = join(work, 'a.conf');
    const b = join(work, 'b.conf');
    writeFileSync(
      a,
      'node-b ipmitool -I lanplus -H 10.0.0.2 -U root -P pw power off\nnode-x bogus\n',
    );
    writeFileSync(b, 'node-a ipmitool -I lanplus -H 10.0.0.1 -U root -P pw power off\n');
    const run = await runCli([a, b, '--allow-partial', '--cluster', 'prod-db']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`${a}: line 2: node-x: unknown command "bogus"`);
    const config = parseConfig(run.stdout.split('\n---\n')[0] ?? '', 'fencer.yaml', {
      skipSecrets: true,
    });
    expect(Object.keys(config.config.clusters['prod-db']?.nodes ?? {})).toEqual([
      'node-b',
      'node-a',
    ]);
  });

  it.each([
    [['--cluster', 'bad name'], '--cluster bad name: must be'],
    [['--cluster', 'admin'], 'reserved'],
    [['--relay', '-x-'], '--relay -x-: must be'],
    [['--region', 'Europe'], '--region Europe: must be an AWS region'],
    [['--subscription', 'Production'], 'must be a subscription id'],
    [['--relay-url', 'http://relay'], 'must be an https:// URL'],
    [['--bogus'], "unknown option '--bogus'"],
  ])('usage error %j → exit 2', async (args, message) => {
    const run = await runCli([fixture('seed-ipmitool.conf'), ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('exit 2 for a missing FILE argument or an unreadable file; --help exits 0', async () => {
    expect((await runCli([])).code).toBe(2);
    const missing = await runCli([join(work, 'nope.conf')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--allow-partial');
  });
});

describe('randomSigningKey', () => {
  it('makes base64 keys of 32 random bytes, different every time', () => {
    const a = randomSigningKey();
    expect(Buffer.from(a, 'base64')).toHaveLength(32);
    expect(randomSigningKey()).not.toBe(a);
  });
});
