import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../../core/config/load.ts';
import type { ImportOutput } from '../../../core/importer/importStonithConf.ts';
import { operatorTodo, renderFencerYaml, renderRelayYaml } from '../../../core/importer/render.ts';
import { relayYaml } from '../../../relay-agent/config.ts';
import { importFixture, importText, levels, options, SUBSCRIPTION, targets } from './support.ts';

/**
 * Every stonith.conf example of the LifeKeeper STONITH document (test/fixtures/stonith/seed-*.conf
 * are verbatim copies, flattened lines and typographic dashes included).
 */

function rendered(result: ImportOutput): string {
  const ctx = { options: options(), sources: ['stonith.conf'], written: false };
  return `${renderFencerYaml(result, ctx)}\n${renderRelayYaml(result, ctx) ?? ''}`;
}

const relayTo = (target: string) => [{ relay: { relay: 'site1', target } }];

describe('seed: IPMI stonith.conf (one flattened line with its comment header)', () => {
  const result = importFixture('seed-ipmitool.conf');

  it('maps minute-maid and kool-aid to ipmi relay targets, not the <host> example of the header', () => {
    expect(result.problems).toEqual([]);
    expect(
      Object.keys(
        (result.fencer.clusters as Record<string, { nodes: object }>).lifekeeper?.nodes ?? {},
      ),
    ).toEqual(['minute-maid', 'kool-aid']);
    expect(levels(result, 'minute-maid')).toEqual([relayTo('minute-maid-ipmi')]);
    expect(levels(result, 'kool-aid')).toEqual([relayTo('kool-aid-ipmi')]);
    expect(targets(result)['kool-aid-ipmi']).toEqual({
      ipmi: {
        host: '192.168.0.2',
        port: 623,
        interface: 'lanplus',
        cipherSuite: 3,
        privilege: 'ADMINISTRATOR',
        user: 'root',
        password: { secretRef: 'file:secrets/192.168.0.2-root.pw' },
      },
    });
  });

  it('moves the -P passwords into secrets files and says the relay uses IPMI_PASSWORD', () => {
    expect(result.secrets).toEqual([
      { relativePath: 'secrets/192.168.0.1-root.pw', content: 'secret\n' },
      { relativePath: 'secrets/192.168.0.2-root.pw', content: 'secret\n' },
    ]);
    expect(result.notes.map((n) => n.message)).toContain(
      'minute-maid: ipmitool -P put the BMC password in argv (visible in ps); the relay passes it as IPMI_PASSWORD (-E)',
    );
    expect(result.notes.some((n) => n.message.includes('found after comment text'))).toBe(true);
    expect(rendered(result)).not.toMatch(/\bsecret\b/);
  });
});

describe('seed: vmware-cmd stonith.conf (three hosts, one path split as "/ vmfs/...")', () => {
  const result = importFixture('seed-vmware-cmd.conf');

  it('maps lampserver, oracle and lampserver02 to vmware-cmd targets with their .vmx', () => {
    expect(result.problems).toEqual([]);
    const vmx = (name: string) =>
      (targets(result)[name]?.['vmware-cmd'] as { vmx?: string } | undefined)?.vmx;
    expect(vmx('lampserver-vmware')).toBe(
      '/vmfs/volumes/4e08c1b9-d741c09c-1d3e-0019b9cb28be/lampserver/lampserver.vmx',
    );
    expect(vmx('oracle-vmware')).toBe(
      '/vmfs/volumes/4e1e1386-0b862fae-a859-0019b9cb28bc/oracle10/oracle.vmx',
    );
    expect(vmx('lampserver02-vmware')).toBe(
      '/vmfs/volumes/4e08c1b9-d741c09c-1d3e-0019b9cb28be/lampserver02/lampserver02.vmx',
    );
    expect(levels(result, 'oracle')).toEqual([relayTo('oracle-vmware')]);
    expect(
      result.notes.some((n) =>
        n.message.startsWith('lampserver02: vmware-cmd: the .vmx path was split'),
      ),
    ).toBe(true);
  });

  it('stores the one ESXi credential once and never renders it', () => {
    expect(result.secrets).toEqual([
      { relativePath: 'secrets/10.0.0.1-root.pw', content: 'secret\n' },
    ]);
    expect(targets(result)['oracle-vmware']).toMatchObject({
      'vmware-cmd': {
        host: '10.0.0.1',
        user: 'root',
        password: { secretRef: 'file:secrets/10.0.0.1-root.pw' },
      },
    });
    expect(rendered(result)).not.toMatch(/\bsecret\b/);
  });
});

describe('seed: Azure stonith.conf written by azure-stonith-install', () => {
  it('maps vm-HostA and vm-HostB to azure-vm devices with the --subscription given', () => {
    const result = importFixture('seed-azure.conf', { subscription: SUBSCRIPTION });
    expect(result.problems).toEqual([]);
    expect(result.relay).toBeUndefined();
    expect(levels(result, 'vm-HostB')).toEqual([
      [
        {
          'azure-vm': {
            subscriptionId: SUBSCRIPTION,
            resourceGroup: 'rg-Group1',
            vmName: 'vm-HostB',
          },
        },
      ],
    ]);
  });

  it('reports both lines when no subscription is known', () => {
    const result = importFixture('seed-azure.conf');
    expect(result.problems.map((p) => [p.line, p.reason])).toEqual([
      [
        1,
        'vm-HostA: az: the line has no --subscription (az used its default account): pass --subscription ID',
      ],
      [
        1,
        'vm-HostB: az: the line has no --subscription (az used its default account): pass --subscription ID',
      ],
    ]);
  });
});

describe('seed: the command examples (no <host> column in the document)', () => {
  it('esxcli with ––server and ‘hard’ is reported as missing its host, as written', () => {
    const result = importFixture('seed-esxcli-command.conf');
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({
      line: 1,
      reason: expect.stringContaining('no <host> column'),
    });
    expect(result.problems[0]?.text).toBe(
      'esxcli --server=10.0.0.1 --username=root --password=*** vms vm kill --type=hard --world-id=1234567',
    );
  });

  it('esxcli with a host column maps to an esxcli target (vms vm kill, ‘hard’, ––world-id)', () => {
    const result = importFixture('esxcli-hosted.conf');
    expect(result.problems).toEqual([]);
    expect(targets(result)['legacy-esxcli']).toEqual({
      esxcli: {
        server: '10.0.0.1',
        user: 'root',
        password: { secretRef: 'file:secrets/10.0.0.1-root.pw' },
        worldId: 1234567,
      },
    });
    expect(targets(result)['legacy2-esxcli']).toMatchObject({ esxcli: { worldId: 7654321 } });
    const messages = result.notes.map((n) => n.message);
    expect(messages).toContain(
      'legacy: esxcli vms vm kill (ESX 4) is run as `vm process kill` by the relay',
    );
    expect(messages.some((m) => m.includes('--type='))).toBe(false);
  });

  it('keeps the esxcli world id but warns that it cannot be verified, and says to add vm: { name }', () => {
    // Prepare
    const result = importFixture('esxcli-hosted.conf');
    const ctx = { options: options(), sources: ['stonith.conf'], written: false };
    // Act
    const todo = operatorTodo(result, ctx);
    // Assess
    const messages = result.notes.map((n) => n.message);
    expect(messages).toContain(
      "legacy: esxcli --world-id=1234567 is kept, but a world id alone cannot be verified (it changes at every power-on; its absence reads unknown, so the target cannot fence): add the VM's display name as vm: { name } to its relay target",
    );
    expect(todo).toContainEqual(
      expect.stringMatching(
        /^add vm: \{ name: <display name> \} to the esxcli targets legacy-esxcli, legacy2-esxcli in relay\.yaml/,
      ),
    );
    // The relay loads it as imported (with its own warning at start).
    expect(relayYaml.safeParse(parseYaml(renderRelayYaml(result, ctx) ?? '')).success).toBe(true);
  });

  it('vmware-cmd with <vm_id> is reported: no host as written, the placeholder once hosted', () => {
    expect(importFixture('seed-vmware-cmd-command.conf').problems.map((p) => p.line)).toEqual([1]);
    const hosted = importText(
      'lampserver vmware-cmd -H 10.0.0.1 -U root -P secret <vm_id> stop hard\n',
    );
    expect(hosted.problems.map((p) => p.reason)).toEqual([
      'lampserver: placeholder <vm_id> was never filled in',
    ]);
  });

  it('the vmware-cmd command wrapped over three lines is one entry (one problem as written)', () => {
    const result = importFixture('seed-vmware-cmd-wrapped.conf');
    expect(result.problems.map((p) => [p.line, p.reason.slice(0, 20)])).toEqual([
      [1, 'no <host> column: th'],
    ]);
  });

  it('the wrapped vmware-cmd command with a host is rejoined, even mid-word', () => {
    const result = importFixture('vmware-cmd-wrapped-hosted.conf');
    expect(result.problems).toEqual([]);
    expect(targets(result)['lampserver-vmware']).toMatchObject({
      'vmware-cmd': {
        vmx: '/vmfs/volumes/4e08c1b9-d741c09c-1d3e-0019b9cb28be/lampserver/lampserver.vmx',
      },
    });
    expect(result.notes.map((n) => n.message)).toContain(
      'lampserver: lines 2-4 were joined (a wrapped command)',
    );
    expect(levels(result, 'oracle')).toEqual([relayTo('oracle-vmware')]);
  });

  it('the "Example:" lines of the headers, uncommented, are each reported', () => {
    const result = importFixture('seed-header-examples.conf');
    expect(result.problems.map((p) => [p.line, p.reason])).toEqual([
      [2, 'placeholder <host> was never filled in'],
      [3, expect.stringContaining('no <host> column')],
      [4, 'placeholder <host> was never filled in'],
    ]);
    expect(result.mapped).toEqual([]);
  });
});

describe('every importable fixture round-trips through both schemas', () => {
  it.each([
    ['seed-ipmitool.conf', {}],
    ['seed-vmware-cmd.conf', {}],
    ['seed-azure.conf', { subscription: SUBSCRIPTION }],
    ['esxcli-hosted.conf', {}],
    ['vmware-cmd-wrapped-hosted.conf', {}],
    ['typographic.conf', {}],
    ['levels.conf', {}],
    ['aws.conf', { region: 'eu-west-1' }],
  ])('%s', (name, overrides) => {
    const result = importFixture(name, overrides);
    expect(result.problems).toEqual([]);
    const ctx = { options: options(overrides), sources: [name], written: false };
    const loaded = parseConfig(renderFencerYaml(result, ctx), 'fencer.yaml', { skipSecrets: true });
    expect(Object.keys(loaded.config.clusters.lifekeeper?.nodes ?? {})).toEqual([
      ...new Set(result.mapped.map((m) => m.node)),
    ]);
    const relayText = renderRelayYaml(result, ctx);
    if (relayText !== undefined) {
      const relay = relayYaml.safeParse(parseYaml(relayText));
      expect(relay.error?.issues ?? []).toEqual([]);
    }
    expect(relayText === undefined).toBe(name === 'seed-azure.conf' || name === 'aws.conf');
  });
});
