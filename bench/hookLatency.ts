import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sendReport } from '../cli/report.ts';
import { type BmcSim, startBmcSim } from '../test/relay/peers/bmcSim.ts';
import {
  ipmiTargetFor,
  type RelayProcess,
  startRelayProcess,
  writeRelayConfig,
} from '../test/relay/peers/relay.ts';
import { makeTestPki } from '../test/relay/peers/tls.ts';
import {
  awsEc2Device,
  azureResourceGroup,
  azureVmDevice,
  type CloudFakes,
  startCloudFakes,
} from '../test/support/cloudFakes.ts';
import { ensureDebianPackages } from '../test/support/debianPackages.ts';
import { startBenchServer } from './server.ts';
import { type Summary, summarize } from './stats.ts';

/** One kind of fence target, as the hook meets it. */
export interface HookLatency {
  /** The first fence right after `fencer serve` said it listens. */
  firstAfterStart: number;
  /** A fence after `idleMinutes` with nothing happening (tokens, connections, caches aged). */
  afterIdle: number;
  /** Fences in a row. */
  warm: Summary;
}

interface Target {
  name: string;
  /** The device of node `b`, relays for fencer.yaml, env for the server. */
  device: Record<string, unknown>;
  relays?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Back on (untimed), before the node is unfenced. */
  powerOn(): Promise<void>;
  stop?(): Promise<void>;
}

/**
 * Report → the hook knowing `fenced`, through the CLI's own wait path (`sendReport`, what
 * `fencer report --wait` runs: one POST with `?waitSeconds`, long-polls only if needed), for a
 * dummy target, IPMI through the relay, and Azure and EC2 on the local endpoints: the first
 * fence after start, one after an idle period, and warm ones. Each target has its own
 * `fencer serve` (SQLite), so one's warm-up does not help another.
 */
export async function benchHookLatency(
  runs: number,
  idleMinutes: number,
): Promise<Record<string, HookLatency>> {
  ensureDebianPackages(['ipmitool', 'python3-pyghmi', 'openssl']);
  const dir = mkdtempSync(join(tmpdir(), 'fencer-bench-hook-'));
  const targets = [dummyTarget(dir), await ipmiTarget(dir), ...(await cloudTargets())];
  const servers: Awaited<ReturnType<typeof startBenchServer>>[] = [];
  const results: Record<string, HookLatency> = {};
  try {
    const fence = async (i: number) => {
      const server = servers[i];
      if (!server) throw new Error('no server');
      const secret = server.secret('hook/a');
      const started = performance.now();
      const result = await sendReport({
        url: server.url,
        keyId: 'hook/a',
        secret,
        target: 'b',
        waitSeconds: 60,
      });
      const ms = performance.now() - started;
      if (result.exit !== 0) throw new Error(`${targets[i]?.name}: ${result.message}`);
      await targets[i]?.powerOn();
      const back = await server
        .client('admin/ops')
        .request('POST', '/v1/clusters/hook/nodes/b/unfence', {});
      if (back.status !== 200) throw new Error(`unfence: ${back.status}`);
      return ms;
    };
    // One target at a time: its server starts, and the hook reports as soon as it listens.
    const first: number[] = [];
    for (const [i, t] of targets.entries()) {
      servers.push(
        await startBenchServer(
          { hook: { nodes: { a: {}, b: { levels: [[t.device]] } } } },
          t.relays ?? {},
          { ...t.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        ),
      );
      first.push(await fence(i));
    }
    const warm = targets.map(() => [] as number[]);
    for (let n = 0; n < runs; n++)
      for (const [i] of targets.entries()) warm[i]?.push(await fence(i));
    await new Promise((r) => setTimeout(r, idleMinutes * 60_000));
    const idle = [];
    for (const [i] of targets.entries()) idle.push(await fence(i));
    for (const [i, t] of targets.entries())
      results[t.name] = {
        firstAfterStart: round(first[i] ?? Number.NaN),
        afterIdle: round(idle[i] ?? Number.NaN),
        warm: summarize(warm[i] ?? []),
      };
    return results;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    for (const t of targets) await t.stop?.();
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function dummyTarget(dir: string): Target {
  const file = join(dir, 'b.json');
  return {
    name: 'dummy',
    device: { dummy: { statusFile: file } },
    async powerOn() {
      const { readDummyStatus, writeDummyStatus } = await import('../core/drivers/dummy.ts');
      await writeDummyStatus(file, { ...(await readDummyStatus(file)), power: 'on' });
    },
  };
}

async function ipmiTarget(dir: string): Promise<Target> {
  const bmc: BmcSim = await startBmcSim({ dir });
  const pki = makeTestPki(dir);
  const site = writeRelayConfig({ dir, pki, targets: { 'node-b-bmc': ipmiTargetFor(bmc, dir) } });
  const relay: RelayProcess = await startRelayProcess({ ...site, ca: pki.caCert });
  return {
    name: 'ipmi via relay',
    device: { relay: { relay: 'dc1', target: 'node-b-bmc' } },
    relays: { dc1: relay.fencerRelayConfig(dir) },
    async powerOn() {
      await bmc.set({ power: 'on', clearEvents: true });
    },
    async stop() {
      await relay.stop();
      await bmc.stop();
    },
  };
}

async function cloudTargets(): Promise<Target[]> {
  const fakes: CloudFakes = await startCloudFakes();
  const vm = fakes.arm.addVm(azureResourceGroup, 'vm-hook');
  const instance = fakes.ec2.addInstance('i-0b00c0000000000e1');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await fakes.stop();
  };
  return [
    {
      name: 'azure-vm',
      device: azureVmDevice(fakes, 'vm-hook'),
      env: fakes.secrets,
      async powerOn() {
        vm.power = 'running';
        delete vm.changeAt;
      },
      stop,
    },
    {
      name: 'aws-ec2',
      device: awsEc2Device(fakes, 'i-0b00c0000000000e1'),
      env: fakes.secrets,
      async powerOn() {
        instance.state = 'running';
        delete instance.changeAt;
      },
      stop,
    },
  ];
}
