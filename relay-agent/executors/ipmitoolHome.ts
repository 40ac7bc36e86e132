import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * ipmitool 1.8.19 parses the whole IANA enterprise-number registry (Debian:
 * /usr/share/misc/enterprise-numbers.txt, 4.7 MB) every time it starts, only to print vendor
 * names that `chassis power` never shows: about 45 ms of a 60 ms `chassis power status` here,
 * paid three or four times per fence. It looks for `$HOME/.local/usr/share/misc/
 * enterprise-numbers[.txt]` first, so the relay runs it with a HOME of its own holding a
 * one-entry registry. (An empty registry makes 1.8.19 refuse to run, so one entry it is.) The
 * power commands, their output and their exit codes are the same either way.
 */
const registry = [
  'PRIVATE ENTERPRISE NUMBERS',
  '',
  '(fencer-relay: a stand-in that spares ipmitool parsing the full IANA registry at each start)',
  '',
  '0',
  '  Reserved',
  '    Internet Assigned Numbers Authority',
  '      iana&iana.org',
  '',
].join('\n');

/** Upstream's file name, and Debian's. */
const names = ['enterprise-numbers', 'enterprise-numbers.txt'];

let prepared: { home: string | undefined } | undefined;

/**
 * The HOME to give ipmitool: a private directory (0700, removed when the relay exits) holding
 * the small registry, made once per process. Undefined when it cannot be made (a read-only
 * temporary directory): ipmitool then keeps the caller's HOME and reads the system registry,
 * slower but with the same result.
 */
export function ipmitoolHome(): string | undefined {
  prepared ??= { home: makeHome(tmpdir()) };
  return prepared.home;
}

function makeHome(base: string): string | undefined {
  try {
    const home = mkdtempSync(join(base, 'fencer-relay-ipmitool-'));
    process.once('exit', () => rmSync(home, { recursive: true, force: true }));
    const misc = join(home, '.local', 'usr', 'share', 'misc');
    mkdirSync(misc, { recursive: true, mode: 0o700 });
    for (const name of names) writeFileSync(join(misc, name), registry, { mode: 0o600 });
    return home;
  } catch {
    return undefined;
  }
}
