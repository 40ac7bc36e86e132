import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer } from './processes.ts';

const script = resolve(dirname(fileURLToPath(import.meta.url)), '../bmcsim/bmcSim.py');

export type BmcMode = 'normal' | 'delayed-off' | 'hung' | 'busy' | 'dead';

export interface BmcEvent {
  ts: number;
  command:
    | 'status'
    | 'power_off'
    | 'power_on'
    | 'power_cycle'
    | 'power_reset'
    | 'power_shutdown'
    | 'session_open'
    | 'session_close';
  result: string;
  mode: BmcMode;
  power: 'on' | 'off';
  /** For session_open / session_close: the client's UDP port (one per ipmitool process). */
  client?: number;
}

/** One client's session as the BMC saw it: first open to last close (open-ended if never closed). */
export interface BmcSession {
  client: number;
  openedAt: number;
  closedAt: number | undefined;
}

/** The sessions in an event log, in the order they opened. */
export function sessionsOf(events: BmcEvent[]): BmcSession[] {
  const byClient = new Map<number, BmcSession>();
  for (const event of events) {
    if (event.client === undefined) continue;
    if (event.command === 'session_open' && !byClient.has(event.client)) {
      byClient.set(event.client, { client: event.client, openedAt: event.ts, closedAt: undefined });
    } else if (event.command === 'session_close') {
      const session = byClient.get(event.client);
      if (session) session.closedAt = event.ts;
    }
  }
  return [...byClient.values()].sort((a, b) => a.openedAt - b.openedAt);
}

export interface BmcState {
  mode: BmcMode;
  power: 'on' | 'off';
  offDelayMs: number;
  busyCount: number;
  answerDelayMs: number;
  offPending: boolean;
  events: number;
}

export interface BmcSim {
  host: '127.0.0.1';
  /** UDP port of the IPMI (RMCP+) listener. */
  port: number;
  user: string;
  password: string;
  /** JSON lines, one per chassis command; survives the process for post-mortems. */
  logFile: string;
  pid: number;
  state(): Promise<BmcState>;
  set(
    patch: Partial<Omit<BmcState, 'offPending' | 'events'>> & { clearEvents?: boolean },
  ): Promise<BmcState>;
  events(): Promise<BmcEvent[]>;
  /** Events of one command, e.g. `count('power_off')` for "exactly one power-off". */
  count(command: BmcEvent['command']): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the simulated BMC (test/relay/bmcsim/bmcSim.py, on Debian's python3-pyghmi) on a free
 * UDP port of 127.0.0.1. The password reaches it through the environment, never argv.
 * Real ipmitool talks to it with `-I lanplus -C 3 -H 127.0.0.1 -p PORT -U USER -E`.
 */
export async function startBmcSim(options: {
  dir: string;
  mode?: BmcMode;
  power?: 'on' | 'off';
  offDelayMs?: number;
  busyCount?: number;
  user?: string;
  password?: string;
  /** A BMC key (Kg) the client must present. */
  kg?: string;
  name?: string;
}): Promise<BmcSim> {
  const user = options.user ?? 'admin';
  // Random per simulator, so a scan of every process's argv cannot match another test's.
  const password = options.password ?? `bmc-Pw-${randomBytes(6).toString('hex')}`;
  const logFile = join(options.dir, `${options.name ?? 'bmc'}-events.jsonl`);
  const args = [script, '--user', user, '--log', logFile];
  args.push('--mode', options.mode ?? 'normal', '--power', options.power ?? 'on');
  args.push('--off-delay-ms', String(options.offDelayMs ?? 0));
  args.push('--busy-count', String(options.busyCount ?? 0));
  // Debian's python3 (pyghmi is a Debian package), not whatever python3 is first on PATH.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const { peer, readyLine } = await startPeer(python, args, {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      BMC_PASSWORD: password,
      ...(options.kg ? { BMC_KG: options.kg } : {}),
    },
    ready: (line) => line.includes('"ready"'),
    timeoutMs: 15_000,
  });
  const ready = JSON.parse(readyLine) as { port: number; controlPort: number };
  const control = `http://127.0.0.1:${ready.controlPort}`;
  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${control}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(`BMC sim ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const events = async () => (await call<{ events: BmcEvent[] }>('/events')).events;
  return {
    host: '127.0.0.1',
    port: ready.port,
    user,
    password,
    logFile,
    pid: peer.pid,
    state: () => call<BmcState>('/state'),
    set: (patch) => call<BmcState>('/state', patch),
    events,
    count: async (command) => (await events()).filter((e) => e.command === command).length,
    stop: () => peer.stop(),
  };
}

/** The events in a sim's log file (also readable after the sim stopped). */
export function readBmcLog(logFile: string): BmcEvent[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as BmcEvent);
}
