import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ApiClient } from '../../../cli/apiClient.ts';
import { systemClock } from '../../../core/clock.ts';
import { type PeerProcess, startPeer } from '../../relay/peers/processes.ts';
import { type RelayProcess, startRelayProcess, writeRelayConfig } from '../../relay/peers/relay.ts';
import { makeTestPki } from '../../relay/peers/tls.ts';
import { freePort } from '../../support/ports.ts';
import type { Bmc } from './bmc.ts';
import { type Daemon, startDaemon } from './daemons.ts';
import { type LabNames, type LabNode, labNet, labNodes } from './labNames.ts';
import { labEnv, run, waitFor } from './shell.ts';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Fencer's name for the lab's cluster (Pacemaker's cluster_name is the same). */
export const fencerCluster = 'pcmk';
/** Fencer's deadline for a fence in the lab (see the timeout pairing in the README). */
export const fenceDeadlineSeconds = 45;
export const bmcTarget = (node: LabNode) => `${node}-bmc`;

const newKey = () => randomBytes(32).toString('base64');

function secretFile(dir: string, name: string, value: string): string {
  const path = join(dir, `${name}.key`);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return path;
}

/**
 * Fencer's side of the lab, all in the root namespace: the relay (real fencer-relay process,
 * real ipmitool to the BMCs), `fencer serve` on a loopback port with a durable data dir, and
 * two socat forwarders that carry the nodes' connections from the bridge address to it
 * (switch namespace → unix socket in the lab dir → 127.0.0.1:PORT).
 */
export class FencerSide {
  readonly nodeKeys = new Map<LabNode, string>();
  readonly admin: ApiClient;
  /** What the nodes use as fencer_url. */
  readonly urlForNodes = `http://${labNet.bridge}:${labNet.fencerPort}/api`;
  serve?: PeerProcess;
  relay?: RelayProcess;
  private forwarders: Daemon[] = [];
  private readonly dir: string;
  private readonly configFile: string;
  private readonly adminSecret = newKey();

  private constructor(
    private readonly names: LabNames,
    readonly port: number,
  ) {
    this.dir = join(names.dir, 'fencer');
    this.configFile = join(this.dir, 'fencer.yaml');
    for (const node of labNodes) this.nodeKeys.set(node, newKey());
    this.admin = new ApiClient({
      url: this.url,
      keyId: 'admin/ops',
      secret: this.adminSecret,
      clock: systemClock,
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  static async create(names: LabNames): Promise<FencerSide> {
    return new FencerSide(names, await freePort());
  }

  /** Relay, fencer.yaml, serve and the forwarders; the BMCs must be up. */
  async start(bmcs: readonly Bmc[]): Promise<void> {
    const keys = join(this.dir, 'keys');
    mkdirSync(keys, { recursive: true, mode: 0o700 });
    const relayDir = join(this.names.dir, 'relay');
    mkdirSync(relayDir, { recursive: true, mode: 0o700 });
    const pki = makeTestPki(relayDir);
    const targets = Object.fromEntries(
      bmcs.map((bmc) => [
        bmcTarget(bmc.node),
        {
          ipmi: {
            host: bmc.host,
            port: bmc.port,
            interface: 'lanplus',
            cipherSuite: 3,
            user: bmc.user,
            password: {
              secretRef: `file:${secretFile(relayDir, `bmc-${bmc.node}`, bmc.password)}`,
            },
            callTimeoutMs: 5000,
          },
        },
      ]),
    );
    const relayConfig = writeRelayConfig({ dir: relayDir, pki, keyName: 'fencer-lab', targets });
    this.relay = await startRelayProcess({ ...relayConfig, ca: pki.caCert });
    const config = {
      clusters: {
        [fencerCluster]: {
          // No scheduled readiness checks: one would turn a fenced node found powered on back
          // into a member at a random moment, and the stale-fenced scenario needs it held
          // `fenced` until its split brain (the re-proof of arbiter rule 3 is what it tests).
          readinessIntervalSeconds: 0,
          // The timeout pairing of the README: Pacemaker's 60 s (stonith-timeout) > the agent's
          // power_timeout (50 s, its default) > Fencer's verdict (45 s), so a fence that cannot
          // succeed ends as Fencer's `failed`, with its reason, before the agent gives up, and
          // the agent before Pacemaker kills it.
          fenceDeadlineSeconds,
          nodes: Object.fromEntries(
            labNodes.map((node) => [
              node,
              {
                key: { secretRef: `file:${secretFile(keys, node, this.nodeKeys.get(node) ?? '')}` },
                levels: [[{ relay: { relay: 'site', target: bmcTarget(node) } }]],
              },
            ]),
          ),
        },
      },
      relays: { site: this.relay.fencerRelayConfig(keys) },
      admins: { ops: { secretRef: `file:${secretFile(keys, 'admin-ops', this.adminSecret)}` } },
    };
    writeFileSync(this.configFile, stringify(config));
    await this.startServe();
    await this.startForwarders();
  }

  /** `fencer serve` on its fixed port and data dir (a restart keeps the ledger). */
  async startServe(): Promise<void> {
    const { peer } = await startPeer(
      process.execPath,
      [
        join(repo, 'bin/fencer.js'),
        'serve',
        '--config',
        this.configFile,
        '--port',
        String(this.port),
        '--data-dir',
        join(this.dir, 'data'),
      ],
      {
        env: { ...labEnv, PATH: `${labEnv.PATH}:${process.env['PATH'] ?? ''}` },
        cwd: repo,
        ready: (line) => line.includes('listening on http://'),
        timeoutMs: 60_000,
      },
    );
    this.serve = peer;
  }

  /** SIGTERM (drain, exit 0), as an operator stopping the service. */
  async stopServe(): Promise<void> {
    await this.serve?.stop();
    this.serve = undefined;
  }

  private async startForwarders(): Promise<void> {
    const socket = join(this.names.dir, 'fencer.sock');
    this.forwarders.push(
      startDaemon(
        ['socat', `UNIX-LISTEN:${socket},fork,unlink-early,mode=600`, `TCP:127.0.0.1:${this.port}`],
        join(this.dir, 'forward-host.log'),
      ),
      startDaemon(
        [
          'ip',
          'netns',
          'exec',
          this.names.switchNs,
          'socat',
          `TCP-LISTEN:${labNet.fencerPort},bind=${labNet.bridge},fork,reuseaddr`,
          `UNIX-CONNECT:${socket}`,
        ],
        join(this.dir, 'forward-switch.log'),
      ),
    );
    await waitFor(
      'the forwarder on the bridge address',
      async () => {
        const { stdout } = await run([
          'ip',
          'netns',
          'exec',
          this.names.switchNs,
          'ss',
          '-Hltn',
          `sport = :${labNet.fencerPort}`,
        ]);
        return stdout.includes(labNet.bridge) ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  }

  async stop(): Promise<void> {
    await this.stopServe();
    await Promise.all(this.forwarders.map((f) => f.stop()));
    await this.relay?.stop();
  }
}
