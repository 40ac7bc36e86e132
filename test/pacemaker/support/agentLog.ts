import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One run of fence_fencer by a node's Pacemaker, as the /usr/sbin wrapper recorded it. */
export interface AgentCall {
  id: string;
  /** key=value options from stdin (paths and names only). */
  options: Map<string, string>;
  action: string;
  target?: string;
  startMs: number;
  /** Undefined while running, or when the caller (or a power cut) killed it. */
  endMs?: number;
  exit?: number;
  stdout: string;
  stderr: string;
}

const readOr = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** Every call recorded in a node's log dir (`<node dir>/var/log/fence_fencer`), oldest first. */
export function readAgentCalls(logDir: string): AgentCall[] {
  if (!existsSync(logDir)) return [];
  const ids = readdirSync(logDir)
    .filter((f) => f.endsWith('.in'))
    .map((f) => f.slice(0, -3))
    .sort();
  return ids.map((id) => {
    const base = join(logDir, id);
    const options = new Map<string, string>();
    for (const line of readOr(`${base}.in`).split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) options.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const rc = readOr(`${base}.rc`).trim();
    const [start, end, exit] = rc === '' ? [] : rc.split(' ').map(Number);
    const target = options.get('port') ?? options.get('plug') ?? options.get('nodename');
    return {
      id,
      options,
      action: options.get('action') ?? '',
      ...(target ? { target } : {}),
      // The id starts with the start in ns; the .rc has it in ms once the call ended.
      startMs: start ?? Math.floor(Number(id.split('-')[0]) / 1e6),
      ...(end !== undefined ? { endMs: end, exit } : {}),
      stdout: readOr(`${base}.out`),
      stderr: readOr(`${base}.err`),
    };
  });
}
