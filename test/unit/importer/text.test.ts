import { describe, expect, it } from 'vitest';
import { normalizeLine } from '../../../core/importer/normalize.ts';
import { passwordsIn, redactedText, scrub } from '../../../core/importer/redact.ts';
import { tokenizeLine } from '../../../core/importer/tokenize.ts';
import { importFixture, importText, levels, SUBSCRIPTION, targets } from './support.ts';

describe('normalizeLine (text copied from web pages)', () => {
  it.each([
    ['esxcli ––server=10.0.0.1 ––world-id=1', 'esxcli --server=10.0.0.1 --world-id=1'],
    ['az vm show —resource-group rg —name vm', 'az vm show --resource-group rg --name vm'],
    ['az vm stop –g rg —n vm', 'az vm stop -g rg -n vm'],
    ['-–type=x', '--type=x'],
    ['kill ––type=‘hard’', "kill --type='hard'"],
    ['-P “pw”', '-P "pw"'],
    ['a\u00a0b\u3000c\u202fd\te', 'a b c d e'],
    ['\ufeffzero\u200bwidth', 'zerowidth'],
    ['ＩＰＭＩ\u3000－Ｈ\u3000１０', 'IPMI -H 10'],
  ])('%s', (input, expected) => {
    expect(normalizeLine(input)).toBe(expected);
  });

  it('leaves dashes inside words and plain ASCII options alone', () => {
    expect(normalizeLine('-P Esx–Pw1 --name vm–a -n x')).toBe('-P Esx–Pw1 --name vm–a -n x');
  });
});

describe('tokenizeLine', () => {
  const words = (line: string) =>
    tokenizeLine(line).map((t) =>
      t.kind === 'word' ? t.value : t.kind === 'op' ? `op:${t.value}` : '#',
    );

  it('splits like a shell: quotes, escapes, operators, redirections', () => {
    expect(words(`a 'b c' "d \\"e\\"" f\\ g x|y 2>&1 >/dev/null`)).toEqual([
      'a',
      'b c',
      'd "e"',
      'f g',
      'x',
      'op:|',
      'y',
      'op:2>&',
      '1',
      'op:>',
      '/dev/null',
    ]);
  });

  it('keeps documentation placeholders whole, even with spaces', () => {
    const tokens = tokenizeLine('az vm stop -g <resource group> -n <node name>');
    expect(
      tokens
        .filter((t) => t.kind === 'word' && t.placeholder)
        .map((t) => (t.kind === 'word' ? t.value : '')),
    ).toEqual(['<resource group>', '<node name>']);
  });

  it('starts a comment only at the start of a word, and takes unbalanced quotes literally', () => {
    expect(words("pw#1 # don't")).toEqual(['pw#1', '#', "don't"]);
  });
});

describe('entries: run-together, commented, wrapped and continued lines', () => {
  const ipmi = (host: string, ip: string) =>
    `${host} ipmitool -I lanplus -H ${ip} -U root -P pw power off`;

  it('splits entries run together on one line, dropping the table border', () => {
    const result = importText(
      `| ${ipmi('a', '10.0.0.1')} ${ipmi('b', '10.0.0.2')} ${ipmi('c', '10.0.0.3')} |\n`,
    );
    expect(result.problems).toEqual([]);
    expect(result.mapped.map((m) => [m.node, m.line])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ]);
  });

  it('keeps a commented-out entry disabled, but recovers entries after comment prose', () => {
    const result = importText(
      [
        `# ${ipmi('old', '10.0.0.9')}`,
        `#${ipmi('old2', '10.0.0.8')}`,
        `# use ipmitool for BMCs: ${ipmi('a', '10.0.0.1')}`,
        ipmi('b', '10.0.0.2'),
      ].join('\n'),
    );
    expect(result.mapped.map((m) => m.node)).toEqual(['a', 'b']);
    expect(
      result.notes.filter((n) => n.message.includes('comment text')).map((n) => n.line),
    ).toEqual([3]);
  });

  it('does not take an option value followed by a command word for a new host', () => {
    const result = importText(
      'vm-a az vm stop -g rg -n vm-a --skip-shutdown vm-b az vm stop -g rg -n vm-b\n',
      {
        subscription: SUBSCRIPTION,
      },
    );
    expect(result.problems).toEqual([]);
    expect(levels(result, 'vm-b')).toEqual([
      [{ 'azure-vm': { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg', vmName: 'vm-b' } }],
    ]);
  });

  it('joins shell continuations and wrapped password lines, but not a stray line after a good entry', () => {
    const result = importText(
      [
        'a ipmitool -I lanplus -H 10.0.0.1 \\',
        '  -U root -P pw power off',
        'b ipmitool -I lanplus -H 10.0.0.2 -U root -P',
        'pw power off',
        ipmi('c', '10.0.0.3'),
        'hello world',
      ].join('\r\n'),
    );
    expect(result.mapped.map((m) => [m.node, m.line])).toEqual([
      ['a', 1],
      ['b', 3],
      ['c', 5],
    ]);
    expect(result.problems.map((p) => [p.line, p.reason])).toEqual([
      [6, expect.stringContaining('hello: unknown command "world"')],
    ]);
    expect(result.notes.map((n) => n.message)).toContain(
      'b: lines 3-4 were joined (a wrapped command)',
    );
  });

  it('reads the typographic fixture: ––, —, –, ‘’, “”, odd spaces, run-together entries', () => {
    const result = importFixture('typographic.conf');
    expect(result.problems).toEqual([]);
    expect(result.mapped.map((m) => m.node)).toEqual([
      'legacy',
      'vm-HostA',
      'vm-HostB',
      'minute-maid',
      'kool-aid',
    ]);
    expect(levels(result, 'vm-HostA')).toEqual([
      [
        {
          'azure-vm': {
            subscriptionId: SUBSCRIPTION,
            resourceGroup: 'rg-Group1',
            vmName: 'vm-HostA',
          },
        },
      ],
    ]);
    expect(targets(result)['legacy-esxcli']).toMatchObject({
      esxcli: { server: '10.0.0.1', worldId: 1234567 },
    });
    // Dashes and `#` inside a password are the password's, not typography or a comment.
    expect(result.secrets.map((s) => s.content)).toEqual([
      'Esx–Pw#1\n',
      'Bmc Pw 1\n',
      'Bmc Pw 2\n',
    ]);
  });
});

describe('redaction of printed lines', () => {
  it('hides password option values in every form, and nothing else', () => {
    const tokens = tokenizeLine(
      'h ipmitool -P "a b" -Pglued --password=eq --passwd sp IPMI_PASSWORD=env -H 10.0.0.1 -U root',
    );
    expect(passwordsIn(tokens)).toEqual(
      expect.arrayContaining(['a b', 'glued', 'eq', 'sp', 'env']),
    );
    expect(redactedText(tokens)).toBe(
      'h ipmitool -P *** -P*** --password=*** --passwd *** IPMI_PASSWORD=*** -H 10.0.0.1 -U root',
    );
    expect(scrub('x -Pglued y', new Set(passwordsIn(tokens)))).toBe('x -P*** y');
  });

  it('keeps a failing line with an attached -Ppassword out of the problem text and reason', () => {
    const result = importText('node-a ipmitool -I lanplus -H b -U u -PS3cr3t-x power status\n');
    expect(result.problems).toHaveLength(1);
    expect(JSON.stringify(result.problems)).not.toContain('S3cr3t-x');
  });
});
