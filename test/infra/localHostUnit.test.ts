import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/processes.ts';

/** contrib/systemd/fencer.service: `fencer serve` under systemd, hardened like the relay's unit. */
const unitFile = join(repoRoot, 'contrib/systemd/fencer.service');
const directives = (text: string) => {
  const found = new Map<string, string[]>();
  for (const line of text.replace(/\\\n\s*/g, ' ').split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match?.[1]) found.set(match[1], [...(found.get(match[1]) ?? []), match[2] ?? '']);
  }
  return found;
};

describe('the systemd unit of the local host', () => {
  it('keeps the ledger in a private state directory, serves with TLS, and is hardened', () => {
    const d = directives(readFileSync(unitFile, 'utf8'));
    const execStart = d.get('ExecStart')?.[0] ?? '';
    expect(execStart).toMatch(/ serve .*--data-dir \/var\/lib\/fencer/);
    expect(execStart).toMatch(/--tls-cert \S+ --tls-key \S+/);
    expect(d.get('StateDirectory')).toEqual(['fencer']);
    expect(d.get('StateDirectoryMode')).toEqual(['0700']);
    expect(d.get('UMask')).toEqual(['0077']);
    expect(d.get('ExecReload')?.[0]).toContain('-HUP');
    for (const [name, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
    ])
      expect(d.get(name ?? ''), name).toEqual([value]);
    // V8's JIT needs W+X memory: this setting would kill the service at start.
    expect(d.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('passes systemd-analyze verify without a warning', () => {
    const result = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    const warnings = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((l) => l.includes('fencer.service'));
    expect(warnings).toEqual([]);
  });
});
