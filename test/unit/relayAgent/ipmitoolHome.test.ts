import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareIpmitoolHome } from '../../../relay-agent/executors/ipmitoolHome.ts';

/** The HOME the relay gives ipmitool (its one-entry vendor registry), under a base of its own. */
const bases: string[] = [];
const base = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipmitool-home-'));
  bases.push(dir);
  return dir;
};
const home = (dir: string) => join(dir, `fencer-relay-ipmitool-${process.getuid?.() ?? 'user'}`);

afterEach(() => {
  for (const dir of bases.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('prepareIpmitoolHome', () => {
  it("makes this user's 0700 directory with the registry under both names, and reuses it", () => {
    const dir = base();
    const first = prepareIpmitoolHome(dir);
    const again = prepareIpmitoolHome(dir);
    expect(first).toBe(home(dir));
    expect(again).toBe(first);
    expect(statSync(home(dir)).mode & 0o777).toBe(0o700);
    const misc = join(home(dir), '.local', 'usr', 'share', 'misc');
    for (const name of ['enterprise-numbers', 'enterprise-numbers.txt'])
      expect(readFileSync(join(misc, name), 'utf8')).toMatch(/^0\n {2}Reserved$/m);
  });

  it('refuses a directory others can write, or a link, so nobody else chooses what ipmitool reads', () => {
    const open = base();
    mkdirSync(home(open), { mode: 0o700 });
    chmodSync(home(open), 0o777);
    expect(prepareIpmitoolHome(open)).toBeUndefined();
    const linked = base();
    symlinkSync(base(), home(linked));
    expect(prepareIpmitoolHome(linked)).toBeUndefined();
  });
});
