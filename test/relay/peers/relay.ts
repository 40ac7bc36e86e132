import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { systemClock } from '../../../core/clock.ts';
import { createRelayLogger } from '../../../relay-agent/audit.ts';
import type { ResolvedTarget } from '../../../relay-agent/config.ts';
import type { PowerExecutor } from '../../../relay-agent/executors/types.ts';
import { loadRelayConfig } from '../../../relay-agent/loadConfig.ts';
import { childEnvOf, createProcessRunner, type Runner } from '../../../relay-agent/runner.ts';
import { RelayServer } from '../../../relay-agent/server.ts';
import type { BmcSim } from './bmcSim.ts';
import { type PeerProcess, startPeer } from './processes.ts';
import type { TestPki } from './tls.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A signing secret as DESIGN.md wants it: base64 of 32 random bytes. */
export function newRelayKey(): string {
  return randomBytes(32).toString('base64');
}

/** Writes a secret to a 0600 file and returns its `file:` secretRef. */
export function secretFile(dir: string, name: string, value: string): string {
  const path = join(dir, `${name}.secret`);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return `file:${path}`;
}

/** An `ipmi` target of relay.yaml for a simulated BMC (password in a 0600 file). */
export function ipmiTargetFor(bmc: BmcSim, dir: string, extra: Record<string, unknown> = {}) {
  return {
    ipmi: {
      host: bmc.host,
      port: bmc.port,
      interface: 'lanplus',
      cipherSuite: 3,
      user: bmc.user,
      password: { secretRef: secretFile(dir, `bmc-${bmc.port}`, bmc.password) },
      callTimeoutMs: 3000,
      ...extra,
    },
  };
}

export interface RelaySetup {
  dir: string;
  pki: TestPki;
  keyName?: string;
  key?: string;
  targets: Record<string, unknown>;
  clientCa?: boolean;
  file?: string;
  /** More top-level settings of relay.yaml (e.g. `limits`). */
  extra?: Record<string, unknown>;
}

/** Writes relay.yaml (listen 127.0.0.1:0) and returns its path with the key it uses. */
export function writeRelayConfig(setup: RelaySetup): {
  file: string;
  keyName: string;
  key: string;
} {
  const keyName = setup.keyName ?? 'fencer-test';
  const key = setup.key ?? newRelayKey();
  const file = setup.file ?? join(setup.dir, 'relay.yaml');
  const yaml = {
    listen: '127.0.0.1:0',
    tls: {
      cert: setup.pki.serverCert,
      key: setup.pki.serverKey,
      ...(setup.clientCa ? { clientCa: setup.pki.caCert } : {}),
    },
    keys: { [keyName]: { secretRef: secretFile(setup.dir, `relay-key-${keyName}`, key) } },
    targets: setup.targets,
    ...setup.extra,
  };
  writeFileSync(file, stringify(yaml));
  return { file, keyName, key };
}

/** What a Fencer config's `relays.<name>` needs to reach this relay. */
export interface RelayEndpoint {
  url: string;
  ca: string;
  keyName: string;
  key: string;
  /** `relays.<name>` of fencer.yaml, with the key in a 0600 file. */
  fencerRelayConfig(dir: string): {
    url: string;
    keyName: string;
    key: { secretRef: string };
    ca: string;
  };
}

function endpoint(url: string, ca: string, keyName: string, key: string): RelayEndpoint {
  return {
    url,
    ca,
    keyName,
    key,
    fencerRelayConfig: (dir) => ({
      url,
      keyName,
      key: { secretRef: secretFile(dir, `fencer-relay-key-${keyName}`, key) },
      ca,
    }),
  };
}

/**
 * The node options of the systemd unit a site installs (`ExecStart=/usr/bin/node OPTIONS
 * /opt/fencer-relay/fencer-relay.mjs ...`), to run the built relay as a site does.
 */
export function relayUnitNodeArgs(): string[] {
  const unit = readFileSync(join(repo, 'relay-agent/systemd/fencer-relay.service'), 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.split(/\s+/) ?? [];
  const entry = exec.findIndex((word) => word.endsWith('fencer-relay.mjs'));
  if (exec[0] !== '/usr/bin/node' || entry < 0) throw new Error('unexpected ExecStart in the unit');
  return exec.slice(1, entry);
}

export interface RelayProcess extends RelayEndpoint {
  peer: PeerProcess;
  file: string;
  /** SIGHUP: reload relay.yaml. */
  reload(): void;
  /** Resolves with the first stdout line (now or later) that matches. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `fencer-relay --config FILE` as its own process (bin/fencer-relay.js through tsx, or a
 * built bundle) and waits for `listening on https://...`. The environment is minimal: the
 * relay's secrets are in files.
 */
export async function startRelayProcess(options: {
  file: string;
  keyName: string;
  key: string;
  ca: string;
  entry?: string;
  env?: Record<string, string>;
  /** Starts it under `ulimit -n N` (through bash, argv only): a small file-descriptor budget. */
  nofile?: number;
  /** Options of node itself, before the entry (as the systemd unit's ExecStart has them). */
  nodeArgs?: readonly string[];
}): Promise<RelayProcess> {
  const entry = options.entry ?? join(repo, 'bin/fencer-relay.js');
  const argv = [process.execPath, ...(options.nodeArgs ?? []), entry, '--config', options.file];
  const [file, args] =
    options.nofile === undefined
      ? [process.execPath, argv.slice(1)]
      : ['/bin/bash', ['-c', 'ulimit -n "$0" && exec "$@"', String(options.nofile), ...argv]];
  const { peer, readyLine } = await startPeer(file, args, {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      ...options.env,
    },
    cwd: repo,
    ready: (line) => line.includes('listening on https://'),
    timeoutMs: 30_000,
  });
  const url = /listening on (https:\/\/[^"\s]+)/.exec(readyLine)?.[1] ?? '';
  const waitForLine = async (match: (line: string) => boolean, timeoutMs = 10_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = peer.lines.find(match);
      if (found) return found;
      if (Date.now() > until || peer.exited())
        throw new Error(`relay: no such line; stderr: ${peer.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    ...endpoint(url, options.ca, options.keyName, options.key),
    peer,
    file: options.file,
    reload: () => process.kill(peer.pid, 'SIGHUP'),
    waitForLine,
    stop: () => peer.stop(),
  };
}

export interface RelayInProcess extends RelayEndpoint {
  server: RelayServer;
  /** Every log line the relay wrote (JSON). */
  logLines: string[];
  stop(): Promise<void>;
}

/** The same server in this process: for tests that hand in a recording runner or fake executors. */
export async function startRelayInProcess(options: {
  file: string;
  keyName: string;
  key: string;
  ca: string;
  runner?: Runner;
  executorFor?: (target: ResolvedTarget) => PowerExecutor;
  /** Environment of the tools it runs (default: PATH and locale of this process). */
  childEnv?: Record<string, string>;
}): Promise<RelayInProcess> {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  const server = new RelayServer(loadRelayConfig(options.file), {
    clock: systemClock,
    runner: options.runner ?? createProcessRunner(),
    logger: createRelayLogger(sink),
    childEnv: options.childEnv ?? childEnvOf(process.env),
    ...(options.executorFor ? { executorFor: options.executorFor } : {}),
  });
  const { url } = await server.start();
  return {
    ...endpoint(url, options.ca, options.keyName, options.key),
    server,
    logLines,
    stop: () => server.stop(),
  };
}
