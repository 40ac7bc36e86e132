import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
 * The HOME to give ipmitool: a directory of this user's (0700) under the temporary directory,
 * holding the small registry, made once per process and shared by every relay of the user
 * (nothing is left behind per run). Undefined when it cannot be made, or when it exists but is
 * not this user's private directory (someone else could choose what ipmitool reads): ipmitool
 * then keeps the caller's HOME and reads the system registry, slower but with the same result.
 */
export function ipmitoolHome(): string | undefined {
  prepared ??= { home: prepareIpmitoolHome(tmpdir()) };
  return prepared.home;
}

/** Makes (or finds) the HOME under `base`; see ipmitoolHome. */
export function prepareIpmitoolHome(base: string): string | undefined {
  try {
    const uid = process.getuid?.();
    const home = join(base, `fencer-relay-ipmitool-${uid ?? 'user'}`);
    try {
      mkdirSync(home, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const dir = lstatSync(home);
    if (!dir.isDirectory() || (uid !== undefined && dir.uid !== uid) || (dir.mode & 0o077) !== 0)
      return undefined;
    const misc = join(home, '.local', 'usr', 'share', 'misc');
    mkdirSync(misc, { recursive: true, mode: 0o700 });
    for (const name of names) {
      const file = join(misc, name);
      if (existsSync(file) && readFileSync(file, 'utf8') === registry) continue;
      // Another relay's ipmitool may be reading it: replace it whole, never rewrite it in place.
      const next = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      writeFileSync(next, registry, { mode: 0o600 });
      renameSync(next, file);
    }
    return home;
  } catch {
    return undefined;
  }
}
