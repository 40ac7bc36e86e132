import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { labIdPattern, labNames, labPrefix, ownerAlive } from './labNames.ts';
import { run, sleep } from './shell.ts';

async function namespacesOf(id: string): Promise<string[]> {
  const { stdout } = await run(['ip', 'netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${labPrefix}${id}-`));
}

async function pidsIn(ns: string): Promise<number[]> {
  const { stdout } = await run(['ip', 'netns', 'pids', ns]);
  return stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** Processes whose command line names a file of the lab (its forwarders, BMCs, relay, Fencer). */
function pidsNaming(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (argv.includes(`${dir}/`)) found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Removes one lab, by name and PID: SIGKILL to every process in its namespaces (a node's init
 * takes its whole PID namespace with it) and every process whose argv names its dir, then the
 * namespaces, then the dir. Safe to repeat; never touches anything not named after the lab.
 */
export async function removeLab(id: string, base = tmpdir()): Promise<string[]> {
  const names = labNames(id, base);
  const namespaces = await namespacesOf(id);
  const pids = new Set<number>(pidsNaming(names.dir));
  for (const ns of namespaces) for (const pid of await pidsIn(ns)) pids.add(pid);
  for (const pid of pids) kill(pid);
  for (let i = 0; i < 100 && [...pids].some(alive); i++) await sleep(30);
  for (const ns of namespaces) await run(['ip', 'netns', 'delete', ns]);
  rmSync(names.dir, { recursive: true, force: true });
  return namespaces;
}

/**
 * Removes what crashed earlier runs left: labs (dirs or namespaces named `fpm-<id>`) whose
 * owner process is gone. A lab whose owner still runs belongs to a concurrent run: left alone.
 */
export async function removeLeftoverLabs(
  log: (line: string) => void = () => {},
  base = tmpdir(),
): Promise<void> {
  const ids = new Set<string>();
  for (const entry of readdirSync(base))
    if (entry.startsWith(labPrefix) && labIdPattern.test(entry.slice(labPrefix.length)))
      ids.add(entry.slice(labPrefix.length));
  const { stdout } = await run(['ip', 'netns', 'list']);
  for (const line of stdout.split('\n')) {
    const match = /^fpm-([0-9a-f]{6})-/.exec(line);
    if (match?.[1]) ids.add(match[1]);
  }
  for (const id of ids) {
    if (ownerAlive(labNames(id, base))) continue;
    const removed = await removeLab(id, base);
    log(`removed the leftovers of lab ${id} (namespaces: ${removed.join(', ') || 'none'})`);
  }
}
