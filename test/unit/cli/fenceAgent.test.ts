import { describe, expect, it } from 'vitest';
import { agentDeadline, localKeyId, validate } from '../../../cli/fenceAgent/agent.ts';
import { metadataXml } from '../../../cli/fenceAgent/metadata.ts';
import {
  parameters,
  parseArgv,
  parseStdin,
  timeoutDefaults,
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
      'list-status',
      'metadata',
      'validate-all',
    ])
      expect(xml).toContain(`<action name="${a}"`);
  });
});

/**
 * Pacemaker 2.1.5 passes an agent none of its timeouts and kills it when they run out; it
 * retries a run that failed before 70% of its timeout, with only the time left (lib/fencing/
 * st_actions.c, update_remaining_timeout). Its defaults: 20 s for a device's start and monitor
 * (the op timeout), 60 s (stonith-timeout) for off, reboot, list and status.
 */
describe('fence_fencer time budgets', () => {
  const pacemaker = { monitor: 20, list: 60, status: 60, off: 60, reboot: 60 } as const;
  /** Ends with its reason before Pacemaker's kill, and a retry Pacemaker makes fits too. */
  const fits = (budget: number, timeout: number) =>
    budget <= timeout - 5 && (budget > 0.7 * timeout || budget <= timeout / 2);

  it('each action has its own budget, counted from the process start', () => {
    const start = 1_000_000;
    const budget = (action: string, options = {}) =>
      (agentDeadline(withDefaults({ action, ...options }), start, action as never) - start) / 1000;
    for (const action of ['off', 'reboot', 'on']) expect(budget(action)).toBe(50);
    for (const action of ['monitor', 'list', 'list-status', 'status'])
      expect(budget(action)).toBe(15);
    expect(budget('off', { power_timeout: '110' })).toBe(110);
    expect(budget('status', { power_timeout: '110' })).toBe(15);
    expect(budget('monitor', { status_timeout: '8' })).toBe(8);
  });

  it.each(Object.entries(pacemaker))(
    "the default for %s fits Pacemaker's default timeout (%i s)",
    (action, timeout) => {
      const budget = ['off', 'reboot'].includes(action)
        ? timeoutDefaults.power
        : timeoutDefaults.status;
      expect(fits(budget, timeout)).toBe(true);
    },
  );

  it('a timeout must be whole seconds, at least 1', () => {
    const base = { fencer_url: 'https://f/api', key_id: 'p/a', secret_file: '' };
    expect(validate({ ...base, status_timeout: '0' }, 'monitor')).toContain(
      'status_timeout must be whole seconds (1 or more)',
    );
    expect(validate({ ...base, power_timeout: '1.5' }, 'monitor')).toContain(
      'power_timeout must be whole seconds (1 or more)',
    );
  });
});
