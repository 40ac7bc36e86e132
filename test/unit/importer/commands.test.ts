import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../core/importer/parseCommand.ts';
import { tokenizeLine } from '../../../core/importer/tokenize.ts';
import type { ParseOutcome } from '../../../core/importer/types.ts';
import { importFixture, importText, levels, SUBSCRIPTION, targets } from './support.ts';

const OTHER_SUBSCRIPTION = '99999999-8888-7777-6666-555555555555';

function parse(
  command: string,
  defaults: { subscription?: string; region?: string } = {},
): ParseOutcome {
  return parseCommand(tokenizeLine(command), {
    subscription: undefined,
    region: undefined,
    ...defaults,
  });
}

function parsed(command: string, defaults: { subscription?: string; region?: string } = {}) {
  const outcome = parse(command, defaults);
  if (!outcome.ok) throw new Error(`expected ${command} to parse: ${outcome.reason}`);
  return outcome;
}

function reason(
  command: string,
  defaults: { subscription?: string; region?: string } = {},
): string {
  const outcome = parse(command, defaults);
  if (outcome.ok) throw new Error(`expected ${command} to be refused`);
  return outcome.reason;
}

describe('ipmitool', () => {
  it('reads -p, -C (attached too), -L and the chassis form', () => {
    expect(
      parsed('ipmitool -I lanplus -H bmc1 -p 6230 -C3 -L operator -U admin -P pw chassis power off')
        .command,
    ).toEqual({
      kind: 'ipmi',
      host: 'bmc1',
      port: 6230,
      interface: 'lanplus',
      cipherSuite: 3,
      privilege: 'OPERATOR',
      user: 'admin',
      password: { from: 'literal', value: 'pw' },
    });
  });

  it('takes -E from an IPMI_PASSWORD= prefix, else leaves it to the operator; -f stays a file', () => {
    expect(parsed('IPMI_PASSWORD=pw ipmitool -I lan -H b -U u -E power off').command).toMatchObject(
      {
        password: { from: 'literal', value: 'pw' },
        cipherSuite: undefined,
      },
    );
    expect(parsed('ipmitool -I lan -H b -U u -E power off').command).toMatchObject({
      password: { from: 'environment', variable: 'IPMI_PASSWORD' },
    });
    expect(parsed('ipmitool -I lan -H b -U u -f /etc/pw power off').command).toMatchObject({
      password: { from: 'file', path: '/etc/pw' },
    });
  });

  it('notes the defaults and conversions it applies', () => {
    expect(parsed('ipmitool -H b -U u -P pw power off').notes).toContain(
      'ipmitool has no -I: with -H it uses lan (IPMI 1.5); consider lanplus',
    );
    expect(parsed('ipmitool -l lanplus -H b -U u -P pw power off').notes).toContain(
      'ipmitool -l lanplus read as -I lanplus',
    );
    expect(parsed('ipmitool -I lanplus -H b -U u -P pw power reset').notes[0]).toMatch(
      /power reset becomes a hard power off/,
    );
  });

  it.each([
    ['ipmitool -I lanplus -H b -U u -P pw power on', '`power on` does not power the node off'],
    ['ipmitool -I lanplus -H b -U u -P pw sdr list', 'is not a power-off'],
    ['ipmitool -I open -H b -U u power off', '-I open cannot reach a remote BMC'],
    ['ipmitool -I lanplus -U u -P pw power off', 'no -H'],
    ['ipmitool -I lanplus -H b -P pw power off', 'no -U user'],
    ['ipmitool -I lanplus -H b -U u -a power off', '-a prompts for the password'],
    ['ipmitool -I lanplus -H b -U u -P pw -o supermicro power off', 'unsupported option(s) -o'],
    ['ipmitool -I lanplus -H b -U u -p x power off', '-p must be a port number'],
    ['ipmitool -I lanplus -H b -U u -C 99 power off', '-C must be a cipher suite number'],
    ['ipmitool -I lanplus -H b -U u -L ROOT power off', 'unknown privilege level'],
    ['ipmitool -I lanplus -H b -U u -P', '-P needs a value'],
  ])('%s → problem', (command, expected) => {
    expect(reason(command)).toContain(expected);
  });
});

describe('vmware-cmd and esxcli', () => {
  it('reads long options and a [datastore] path', () => {
    expect(
      parsed('vmware-cmd --server esx --username u --password pw "[ds 1] vm/vm.vmx" stop hard')
        .command,
    ).toEqual({
      kind: 'vmware-cmd',
      host: 'esx',
      user: 'u',
      password: { from: 'literal', value: 'pw' },
      vmx: '[ds 1] vm/vm.vmx',
    });
  });

  it('maps stop soft / stop (no mode) with a note, refuses other operations', () => {
    expect(parsed('vmware-cmd -H e -U u -P p /vmfs/a.vmx stop soft').notes[0]).toMatch(
      /stop soft becomes a hard power off/,
    );
    expect(parsed('vmware-cmd -H e -U u -P p /vmfs/a.vmx stop').notes[0]).toMatch(
      /stop soft becomes/,
    );
    expect(reason('vmware-cmd -H e -U u -P p /vmfs/a.vmx getstate')).toContain(
      'expected `<vmx> stop hard`',
    );
    expect(reason('vmware-cmd -H e -U u -P p a.txt stop hard')).toContain('is not a .vmx path');
    expect(reason('vmware-cmd -U u -P p /vmfs/a.vmx stop hard')).toContain('no -H host');
  });

  it('reads esxcli short options and vm process kill; a soft kill becomes hard with a note', () => {
    const outcome = parsed('esxcli -s esx -u u -p pw vm process kill -t soft -w 42');
    expect(outcome.command).toEqual({
      kind: 'esxcli',
      server: 'esx',
      user: 'u',
      password: { from: 'literal', value: 'pw' },
      worldId: 42,
      thumbprint: undefined,
    });
    expect(outcome.notes[0]).toBe(
      'esxcli --type=soft becomes --type=hard: Fencer does not wait for the guest',
    );
  });

  it.each([
    ['esxcli --server=e --username=u --password=p vm process list', 'is not `vm process kill`'],
    [
      'esxcli --server=e --username=u --password=p vm process kill --type=hard',
      '--world-id must be a number',
    ],
    [
      'esxcli --server=e --username=u --password=p vm process kill --type=hard --world-id=x1',
      '--world-id must be a number',
    ],
    ['esxcli --username=u --password=p vm process kill --type=hard --world-id=1', 'no --server'],
    [
      'esxcli --server=e --vihost=h --password=p vm process kill --type=hard --world-id=1',
      'unsupported option(s) --vihost',
    ],
  ])('%s → problem', (command, expected) => {
    expect(reason(command)).toContain(expected);
  });
});

describe('az and aws', () => {
  it("reads --ids, and prefers the line's subscription to --subscription (with a note)", () => {
    const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-x/providers/Microsoft.Compute/virtualMachines/vm-x`;
    expect(parsed(`az vm stop --ids ${id} --skip-shutdown`).command).toEqual({
      kind: 'azure-vm',
      subscriptionId: SUBSCRIPTION,
      resourceGroup: 'rg-x',
      vmName: 'vm-x',
    });
    const outcome = parsed(
      `az vm stop -g rg -n vm --subscription ${SUBSCRIPTION} --skip-shutdown`,
      {
        subscription: OTHER_SUBSCRIPTION,
      },
    );
    expect(outcome.command).toMatchObject({ subscriptionId: SUBSCRIPTION });
    expect(outcome.notes[0]).toContain('is used, not --subscription');
  });

  it('maps deallocate, restart and a stop without --skip-shutdown to a power off, with notes', () => {
    const defaults = { subscription: SUBSCRIPTION };
    expect(parsed('az vm deallocate -g rg -n vm', defaults).notes[0]).toMatch(
      /az vm deallocate becomes a power off/,
    );
    expect(parsed('az vm restart -g rg -n vm', defaults).notes[0]).toMatch(
      /az vm restart becomes a power off/,
    );
    expect(parsed('az vm stop -g rg -n vm --no-wait', defaults).notes[0]).toMatch(
      /without --skip-shutdown/,
    );
  });

  it.each([
    ['az vm stop -g rg -n vm', 'pass --subscription ID'],
    ['az vm stop -g rg -n vm --subscription Production', 'is not a subscription id'],
    [
      'az vm stop -n vm --subscription 11111111-2222-3333-4444-555555555555',
      'no -g/--resource-group',
    ],
    ['az vm stop --ids /a /b', 'names several VMs'],
    ['az vm delete -g rg -n vm', 'does not power a VM off'],
    ['az login', 'does not power a VM off'],
  ])('%s → problem', (command, expected) => {
    expect(reason(command)).toContain(expected);
  });

  it('takes the region from the line, an AWS_DEFAULT_REGION prefix, or --region', () => {
    const id = 'i-0123456789abcdef0';
    expect(
      parsed(`aws ec2 stop-instances --instance-ids ${id} --region eu-west-1 --force`).command,
    ).toEqual({
      kind: 'aws-ec2',
      region: 'eu-west-1',
      instanceId: id,
    });
    expect(
      parsed(`AWS_DEFAULT_REGION=ap-northeast-1 aws ec2 stop-instances --instance-ids=${id}`)
        .command,
    ).toMatchObject({
      region: 'ap-northeast-1',
    });
    const fromFlag = parsed(`aws ec2 stop-instances --instance-ids ${id}`, { region: 'us-east-2' });
    expect(fromFlag.command).toMatchObject({ region: 'us-east-2' });
    expect(fromFlag.notes).toContain(
      'aws ec2 stop-instances without --force: Fencer always forces, skipping OS shutdown',
    );
  });

  it.each([
    ['aws ec2 stop-instances --instance-ids i-0123456789abcdef0', 'pass --region R'],
    [
      'aws ec2 stop-instances --instance-ids i-0123456789abcdef0 i-0fedcba9876543210 --region eu-west-1',
      'exactly one instance (got 2)',
    ],
    ['aws ec2 stop-instances --instance-ids i-... --region eu-west-1', 'is not an instance id'],
    [
      'aws ec2 stop-instances --instance-ids i-0123456789abcdef0 --region Europe',
      'is not an AWS region',
    ],
    [
      'aws ec2 stop-instances --instance-ids i-0123456789abcdef0 --region eu-west-1 --dry-run',
      '--dry-run never stopped anything',
    ],
    [
      'aws ec2 terminate-instances --instance-ids i-0123456789abcdef0 --region eu-west-1',
      'does not stop an instance',
    ],
  ])('%s → problem', (command, expected) => {
    expect(reason(command)).toContain(expected);
  });

  it('imports the aws fixture with --region for the line without one', () => {
    const result = importFixture('aws.conf', { region: 'us-west-2' });
    expect(result.problems).toEqual([]);
    expect(levels(result, 'db-a')).toEqual([
      [{ 'aws-ec2': { region: 'eu-west-1', instanceId: 'i-0123456789abcdef0' } }],
    ]);
    expect(levels(result, 'db-b')).toEqual([
      [{ 'aws-ec2': { region: 'us-west-2', instanceId: 'i-0fedcba9876543210' } }],
    ]);
  });
});

describe('mapping to levels, targets and secrets', () => {
  const result = importFixture('levels.conf');

  it('turns several lines for one host into levels in file order', () => {
    expect(result.problems).toEqual([]);
    expect(levels(result, 'node-a')).toEqual([
      [{ relay: { relay: 'site1', target: 'node-a-ipmi' } }],
      [{ relay: { relay: 'site1', target: 'node-a-vmware' } }],
    ]);
  });

  it('references -E and -f passwords for the operator to provide, never inventing them', () => {
    expect(result.missingPasswords).toEqual(['secrets/node-a-ipmi.pw']);
    expect(targets(result)['node-a-ipmi']).toMatchObject({
      ipmi: {
        port: 6230,
        cipherSuite: 17,
        privilege: 'OPERATOR',
        password: { secretRef: 'file:secrets/node-a-ipmi.pw' },
      },
    });
    expect(targets(result)['node-b-ipmi']).toMatchObject({
      ipmi: { interface: 'lan', password: { secretRef: 'file:/etc/lifekeeper/bmc-b.pw' } },
    });
    expect(result.secrets).toEqual([
      { relativePath: 'secrets/esx1.example-fence.pw', content: 'Vm-Pw-A\n' },
    ]);
  });

  it('names targets uniquely, gives differing passwords their own file, imports a repeated line once', () => {
    const twice = importText(
      [
        'a ipmitool -I lanplus -H 10.0.0.1 -U root -P one power off',
        'a ipmitool -I lanplus -H 10.0.0.1 -U root -P two power off',
        'a ipmitool -I lanplus -H 10.0.0.1 -U root -P two power off',
        'b ipmitool -I lanplus -H 10.0.0.2 -U root -P one power off',
      ].join('\n'),
    );
    expect(levels(twice, 'a')).toEqual([
      [{ relay: { relay: 'site1', target: 'a-ipmi' } }],
      [{ relay: { relay: 'site1', target: 'a-ipmi-2' } }],
    ]);
    expect(twice.secrets.map((s) => s.relativePath)).toEqual([
      'secrets/10.0.0.1-root.pw',
      'secrets/10.0.0.1-root-2.pw',
      'secrets/10.0.0.2-root.pw',
    ]);
    expect(twice.notes.map((n) => [n.line, n.message])).toContainEqual([
      3,
      'a: same command as stonith.conf line 2; imported once',
    ]);
  });

  it('uses --cluster and --relay names for keys, devices and the relay', () => {
    const named = importFixture('levels.conf', {
      cluster: 'prod-db',
      relay: 'dc1',
      relayUrl: 'https://relay.dc1:7443',
    });
    expect(levels(named, 'node-b', 'prod-db')[0]).toEqual([
      { relay: { relay: 'dc1', target: 'node-b-ipmi' } },
    ]);
    expect(named.fencer.relays).toEqual({
      dc1: {
        url: 'https://relay.dc1:7443',
        keyName: 'fencer',
        key: { secretRef: 'file:secrets/relay-dc1.key' },
      },
    });
    expect(named.keys.map((k) => k.relativePath)).toEqual([
      'secrets/prod-db-node-a.key',
      'secrets/prod-db-node-b.key',
      'secrets/relay-dc1.key',
      'secrets/admin-ops.key',
    ]);
  });
});

describe('lines that cannot be mapped', () => {
  it('reports each with its line number and a reason, and redacts the text', () => {
    const result = importFixture('unknown.conf');
    expect(result.problems.map((p) => [p.line, p.reason.split(':')[0]])).toEqual([
      [3, 'node-b'],
      [4, 'node-c'],
      [6, 'node-d'],
      [7, 'node-e'],
      [8, 'node-f'],
      [9, 'node-g'],
      [10, 'this'],
      [11, 'node-h'],
      [
        0,
        "a Fencer cluster needs at least 2 nodes with a fence path; found only node-a. Import every server's stonith.conf together",
      ],
    ]);
    expect(result.problems[0]?.reason).toContain('unknown command "fence_ipmilan"');
    expect(result.problems[5]?.reason).toBe('node-g: shell operator "|" is not supported');
    expect(result.problems[0]?.text).toBe(
      'node-b fence_ipmilan -a 192.168.0.2 -l root -p *** -o off',
    );
    expect(JSON.stringify(result.problems)).not.toMatch(/Hunter-2-Pw|Pw-Status-3|Pw-Pipe-7/);
  });

  it('refuses a host that is not a node name', () => {
    expect(
      importText('bad:host ipmitool -I lan -H b -U u -P p power off\n').problems[0]?.reason,
    ).toBe('not a `<host> <command>` entry');
  });
});
