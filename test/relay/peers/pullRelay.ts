import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { type PeerProcess, startPeer } from './processes.ts';
import { newRelayKey, secretFile } from './relay.ts';

const repo = resolve(import.meta.dirname, '../../..');

/**
 * A pull-only relay.yaml (no listen, no tls, no keys): it polls `url` (Fencer's `/api`) as
 * `relays.<keyName>`. Returns its path, the key, and the `relays.<keyName>` entry of fencer.yaml.
 */
export function writePullRelayConfig(setup: {
  dir: string;
  url: string;
  keyName: string;
  targets: Record<string, unknown>;
  key?: string;
  file?: string;
  /** More top-level settings of relay.yaml (e.g. `listen` and `tls` for both modes). */
  extra?: Record<string, unknown>;
}) {
  const key = setup.key ?? newRelayKey();
  const file = setup.file ?? join(setup.dir, `relay-pull-${setup.keyName}.yaml`);
  const relayKey = secretFile(setup.dir, `relay-pull-key-${setup.keyName}`, key);
  const yaml = {
    pull: { url: setup.url, keyName: setup.keyName, key: { secretRef: relayKey } },
    targets: setup.targets,
    ...setup.extra,
  };
  writeFileSync(file, stringify(yaml));
  const fencerKey = secretFile(setup.dir, `fencer-pull-key-${setup.keyName}`, key);
  return {
    file,
    keyName: setup.keyName,
    key,
    fencerRelayConfig: { mode: 'pull', keyName: setup.keyName, key: { secretRef: fencerKey } },
  };
}

export interface PullRelayProcess {
  peer: PeerProcess;
  /** Resolves with the first stdout line (now or later) that matches. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Listening TCP sockets the process holds (pull mode: none). */
  listeningSockets(): number;
  stop(): Promise<void>;
}

/** Starts `fencer-relay --config FILE` in pull mode and waits for `polling URL` (it reached Fencer). */
export async function startPullRelayProcess(options: {
  file: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<PullRelayProcess> {
  const { peer } = await startPeer(
    process.execPath,
    [join(repo, 'bin/fencer-relay.js'), '--config', options.file],
    {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/root',
        ...options.env,
      },
      cwd: repo,
      ready: (line) => line.includes('"msg":"polling http'),
      timeoutMs: options.timeoutMs ?? 30_000,
    },
  );
  return {
    peer,
    waitForLine: async (match, timeoutMs = 10_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = peer.lines.find(match);
        if (found) return found;
        if (Date.now() > until || peer.exited())
          throw new Error(`relay: no such line; stderr: ${peer.stderr()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    listeningSockets: () => listeningSocketsOf(peer.pid),
    stop: () => peer.stop(),
  };
}

/** Counts the TCP sockets in LISTEN state among a process's open files (Linux /proc). */
export function listeningSocketsOf(pid: number): number {
  const inodes = new Set<string>();
  for (const fd of readdir(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  let listening = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = readFileSync(table, 'utf8').split('\n').slice(1);
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      // st 0A is LISTEN; the inode is the tenth column.
      if (cols[3] === '0A' && cols[9] && inodes.has(cols[9])) listening++;
    }
  }
  return listening;
}

function readdir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
