import { describe, expect, it } from 'vitest';
import { localKeyId, validate } from '../../../cli/fenceAgent/agent.ts';
import { metadataXml } from '../../../cli/fenceAgent/metadata.ts';
import {
  parameters,
  parseArgv,
  parseStdin,
  withDefaults,
} from '../../../cli/fenceAgent/options.ts';

describe('fence_fencer options', () => {
  it('reads key=value lines as Pacemaker sends them; port/plug name the target over nodename', () => {
    const unknown: string[] = [];
    const options = parseStdin(
      '# comment\naction=off\nnodename=host-a\nport=node-b\npcmk_host_list=node-b\nfencer_url=https://f/api\n',
      (k) => unknown.push(k),
    );
    expect(options).toEqual({ action: 'off', plug: 'node-b', fencer_url: 'https://f/api' });
    expect(unknown).toEqual(['pcmk_host_list']);
    expect(parseStdin('nodename=node-c\n', () => {})).toEqual({ plug: 'node-c' });
  });

  it('reads the same as long options and short flags', () => {
    expect(
      parseArgv(
        ['-o', 'status', '--plug=node-b', '--key-id', 'prod/a', '--power-timeout=30', '-v'],
        () => {},
      ),
    ).toEqual({
      action: 'status',
      plug: 'node-b',
      key_id: 'prod/a',
      power_timeout: '30',
      verbose: '1',
    });
    expect(withDefaults({}).action).toBe('reboot');
  });

  it('takes the node part of the key id from the host name when only the cluster is given', () => {
    expect(localKeyId('prod', 'node-a.example.com')).toBe('prod/node-a');
    expect(localKeyId('prod/node-b', 'node-a')).toBe('prod/node-b');
  });

  it('validates required options and what each action needs', () => {
    expect(validate({ action: 'off' }, 'off')).toEqual([
      'missing required option fencer_url',
      'missing required option key_id',
      'missing required option secret_file',
      'missing the node to act on (plug, port or nodename)',
    ]);
    expect(
      validate(
        {
          action: 'on',
          fencer_url: 'https://f/api',
          key_id: 'p/a',
          secret_file: '/nonexistent',
          plug: 'b',
        },
        'on',
      ),
    ).toEqual(['on needs admin_key_id and admin_secret_file', 'cannot read /nonexistent: ENOENT']);
    expect(
      validate({ action: 'monitor', fencer_url: 'fencer:7071', key_id: 'p/a' }, 'monitor'),
    ).toEqual([
      'missing required option secret_file',
      'fencer_url must be an http:// or https:// URL',
    ]);
  });

  it('describes every parameter and action in its metadata', () => {
    const xml = metadataXml();
    for (const p of parameters) expect(xml).toContain(`<parameter name="${p.name}"`);
    for (const a of [
      'on',
      'off',
      'reboot',
      'status',
      'monitor',
      'list',
      'metadata',
      'validate-all',
    ])
      expect(xml).toContain(`<action name="${a}"`);
  });
});
