import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/config/issues.ts';
import { configJsonSchema } from '../../../core/config/jsonSchema.ts';
import { loadConfigFile, parseConfig } from '../../../core/config/load.ts';

const key = 'q7m1WgQm0B1cJx8nY6m3c8zH4b9v1uT2pQ5rS7tU9wE=';
const otherKey = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=';
const adminKey = 'YWRtaW5hZG1pbmFkbWluYWRtaW5hZG1pbmFkbWluYWQ=';
const good = `
clusters:
  prod-db:
    quorum: 1
    nodes:
      node-a:
        priority: 10
        key: { secretRef: env:KEY_A }
        levels:
          - [ { azure-vm: { subscriptionId: sub, resourceGroup: rg-Group1, vmName: vm-HostA } } ]
          - [ { relay: { relay: dc1, target: node-a-bmc } } ]
      node-b:
        key: { secretRef: file:b.key }
        levels: [ [ { dummy: { statusFile: b.json } } ] ]
relays:
  dc1: { url: https://relay.dc1.example:7443, keyName: fencer-prod, key: { secretRef: env:RELAY } }
admins:
  ops: { secretRef: env:ADMIN }
`;

function issuesOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, '/tmp/fencer.yaml', { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('fencer.yaml', () => {
  it('loads the DESIGN.md example with defaults and resolves signing keys', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'fencer-config-'));
    writeFileSync(join(dir, 'fencer.yaml'), good);
    writeFileSync(join(dir, 'b.key'), `${key}\n`, { mode: 0o600 });
    // Act
    const loaded = loadConfigFile(join(dir, 'fencer.yaml'), {
      env: { KEY_A: otherKey, RELAY: 'relay-secret', ADMIN: adminKey },
    });
    // Assess
    expect(loaded.config.clusters['prod-db']).toMatchObject({
      maxConcurrentFences: 1,
      minSurvivors: 1,
      settleMs: 0,
      fenceDeadlineSeconds: 240,
    });
    expect(loaded.keys.get('prod-db/node-b')).toBe(key);
    expect(loaded.keys.get('admin/ops')).toBe(adminKey);
    expect(loaded.warnings).toEqual([]);
  });

  it('refuses two keys that share one secret (a node could sign as another)', () => {
    // Node key = admin key: that node could unfence anything.
    expect(issuesOf(good, { KEY_A: key, RELAY: 'relay-secret', ADMIN: key })).toContain(
      'admins.ops.secretRef: the same secret as clusters.prod-db.nodes.node-a.key: every key needs its own secret',
    );
    // A node key that is also the relay's key could sign power actions to the site.
    const relayShared = good.replace('env:RELAY', 'env:KEY_A');
    expect(issuesOf(relayShared, { KEY_A: key, ADMIN: adminKey })).toContain(
      'relays.dc1.key.secretRef: the same secret as clusters.prod-db.nodes.node-a.key: every key needs its own secret',
    );
  });

  it('lets two addresses of one site share their relay key', () => {
    const twoRelays = good.replace('admins:', 'relays2: {}\nadmins:').replace('relays2: {}\n', '');
    const text = twoRelays.replace(
      '  dc1: { url: https://relay.dc1.example:7443, keyName: fencer-prod, key: { secretRef: env:RELAY } }',
      '  dc1: { url: https://relay.dc1.example:7443, keyName: fencer-prod, key: { secretRef: env:RELAY } }\n  dc1b: { url: https://relay-b.dc1.example:7443, keyName: fencer-prod, key: { secretRef: env:RELAY } }',
    );
    expect(text).toContain('dc1b');
    expect(
      issuesOf(text, { KEY_A: otherKey, RELAY: 'relay-secret', ADMIN: adminKey }).filter((i) =>
        i.includes('same secret'),
      ),
    ).toEqual([]);
  });

  it('warns about a secret file that group or others can read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fencer-config-'));
    writeFileSync(join(dir, 'fencer.yaml'), good);
    writeFileSync(join(dir, 'b.key'), `${key}\n`);
    chmodSync(join(dir, 'b.key'), 0o644);
    const loaded = loadConfigFile(join(dir, 'fencer.yaml'), {
      env: { KEY_A: otherKey, RELAY: 'relay-secret', ADMIN: adminKey },
    });
    expect(loaded.warnings).toEqual([
      `clusters.prod-db.nodes.node-b.key: secret file ${join(dir, 'b.key')} is open to group or others (mode 644); chmod 600 it`,
    ]);
  });

  it('lists every problem by path', () => {
    const bad = good
      .replace('quorum: 1', 'quorum: 0\n    bogus: true')
      .replace('vmName: vm-HostA', 'vmName: vm-HostA, color: red')
      .replace('levels: [ [ { dummy: { statusFile: b.json } } ] ]', 'levels: []')
      .replace('relay: dc1, target', 'relay: dc9, target');
    expect(issuesOf(bad).sort()).toEqual(
      [
        'clusters.prod-db: unknown field(s): bogus',
        'clusters.prod-db.quorum: Too small: expected number to be >=1',
        'clusters.prod-db.nodes.node-a.levels[0][0].azure-vm: unknown field(s): color',
        'clusters.prod-db.nodes.node-b.levels: a node needs at least one fence level',
        'clusters.prod-db.nodes.node-a.levels[1][0].relay.relay: relay "dc9" is not defined under relays',
      ].sort(),
    );
  });

  it('reports a device with two kinds, unresolvable and weak secrets, and impossible guards', () => {
    const bad = good
      .replace(
        '{ dummy: { statusFile: b.json } }',
        '{ dummy: { statusFile: b.json }, relay: { relay: dc1, target: x } }',
      )
      .replace('quorum: 1', 'quorum: 2\n    minSurvivors: 2');
    const issues = issuesOf(bad, { KEY_A: 'c2hvcnQ=', ADMIN: key });
    expect(issues).toContain(
      'clusters.prod-db.quorum: quorum 2 can never be reached: only 1 other nodes can report',
    );
    expect(issues).toContain(
      'clusters.prod-db.minSurvivors: minSurvivors 2 leaves no node fenceable in a 2-node cluster',
    );
    expect(
      issues.some((i) =>
        i.startsWith('clusters.prod-db.nodes.node-b.levels[0][0]: a device needs exactly one of'),
      ),
    ).toBe(true);
    const secrets = issuesOf(good, { KEY_A: 'c2hvcnQ=', ADMIN: key });
    expect(secrets).toContain(
      'clusters.prod-db.nodes.node-a.key.secretRef: a signing secret must encode at least 32 random bytes (`openssl rand -base64 32`)',
    );
    expect(secrets).toContain('relays.dc1.key.secretRef: environment variable RELAY is not set');
    expect(
      secrets.some((i) =>
        i.startsWith(
          'clusters.prod-db.nodes.node-b.key.secretRef: cannot read secret file /tmp/b.key',
        ),
      ),
    ).toBe(true);
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    expect(issuesOf('clusters:\n  a: [\n')[0]).toMatch(/^\(yaml line \d+\)/);
    expect(issuesOf('clusters: {}\nclusters: {}\n')[0]).toMatch(/^\(yaml line 2\)/);
  });

  it('exports a JSON Schema that names the driver kinds', () => {
    const text = JSON.stringify(configJsonSchema());
    for (const kind of [
      'dummy',
      'azure-vm',
      'aws-ec2',
      'relay',
      'secretRef',
      'fenceDeadlineSeconds',
    ])
      expect(text).toContain(`"${kind}"`);
  });
});
