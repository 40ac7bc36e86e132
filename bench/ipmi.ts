import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { Incident } from '../core/protocol/api.ts';
import { ipmitoolHome } from '../relay-agent/executors/ipmitoolHome.ts';
import { startBmcSim } from '../test/relay/peers/bmcSim.ts';
import { fenceTarget, relayDriverFor } from '../test/relay/peers/client.ts';
import {
  ipmiTargetFor,
  type RelayProcess,
  startRelayProcess,
  writeRelayConfig,
} from '../test/relay/peers/relay.ts';
import { makeTestPki } from '../test/relay/peers/tls.ts';
import { ensureDebianPackages } from '../test/support/debianPackages.ts';
import { startBenchServer } from './server.ts';
import { type Summary, summarize } from './stats.ts';

const run = promisify(execFile);

export interface IpmiResult {
  /** Report → incident `fenced` through fencer serve → relay → ipmitool → simulated BMC. */
  chain: Summary;
  /** The first fence after start (lazy driver load, first TLS handshake). */
  chainCold: number;
  /** The same verified off through the relay alone: the relay driver's off + status (HTTPS → relay → ipmitool). */
  relayAlone: Summary;
  /** The floor: `ipmitool chassis power off` + `chassis power status`, run as the relay runs it. */
  floor: Summary;
  /** ClusterLabs' fence_ipmilan `off` (Debian fence-agents) on the same simulator. */
  fenceIpmilan: Summary;
}

/**
 * Time to a verified IPMI fence, and the baselines, against one simulated BMC (pyghmi, real
 * ipmitool), interleaved run by run so that all see the same machine load. The BMC is switched
 * back on (untimed) before each run; each chain run must show exactly one power-off.
 */
export async function benchIpmi(runs: number): Promise<IpmiResult> {
  ensureDebianPackages(['ipmitool', 'python3-pyghmi', 'openssl', 'fence-agents']);
  const dir = mkdtempSync(join(tmpdir(), 'fencer-bench-ipmi-'));
  const bmc = await startBmcSim({ dir });
  const pki = makeTestPki(dir);
  const site = writeRelayConfig({ dir, pki, targets: { 'node-b-bmc': ipmiTargetFor(bmc, dir) } });
  let relay: RelayProcess | undefined;
  let server: Awaited<ReturnType<typeof startBenchServer>> | undefined;
  try {
    relay = await startRelayProcess({ ...site, ca: pki.caCert });
    server = await startBenchServer(
      {
        ipmi: {
          fenceDeadlineSeconds: 60,
          nodes: {
            'node-a': { levels: [[{ dummy: { statusFile: 'a.json' } }]] },
            'node-b': { levels: [[{ relay: { relay: 'dc1', target: 'node-b-bmc' } }]] },
          },
        },
      },
      { dc1: relay.fencerRelayConfig(dir) },
    );
    const reporter = server.client('ipmi/node-a');
    const admin = server.client('admin/ops');
    const passwordScript = join(dir, 'password.sh');
    writeFileSync(passwordScript, '#!/bin/sh\nprintf "%s\\n" "$BENCH_BMC_PASSWORD"\n');
    chmodSync(passwordScript, 0o700);

    const fence = async () => {
      await bmc.set({ power: 'on', clearEvents: true });
      const postedAt = Date.now();
      const answer = await reporter.request('POST', '/v1/clusters/ipmi/reports', {
        target: 'node-b',
        reason: 'bench',
      });
      if (answer.status !== 202)
        throw new Error(`report: ${answer.status} ${JSON.stringify(answer.body)}`);
      const id = (answer.body as Incident).incidentId;
      const incident = (
        await reporter.request('GET', `/v1/clusters/ipmi/incidents/${id}?waitSeconds=30`)
      ).body as Incident;
      if (incident.state !== 'fenced') throw new Error(`not fenced: ${JSON.stringify(incident)}`);
      const offs = await bmc.count('power_off');
      if (offs !== 1) throw new Error(`the BMC saw ${offs} power-offs in one fence`);
      const ms = Date.parse(incident.updatedAt) - postedAt;
      const back = await admin.request('POST', '/v1/clusters/ipmi/nodes/node-b/unfence', {});
      if (back.status !== 200) throw new Error(`unfence: ${back.status}`);
      return ms;
    };
    const home = ipmitoolHome();
    const floorHome = home ? { HOME: home } : {};
    const ipmitool = (words: string[]) =>
      execFileSync(
        'ipmitool',
        [
          '-I',
          'lanplus',
          '-C',
          '3',
          '-H',
          bmc.host,
          '-p',
          String(bmc.port),
          '-U',
          bmc.user,
          '-E',
          ...words,
        ],
        {
          // As the relay runs it: with its one-entry vendor registry (ipmitoolHome.ts), so the
          // floor is what ipmitool itself costs, not its parse of the 4.7 MB IANA registry.
          env: { PATH: process.env.PATH, IPMI_PASSWORD: bmc.password, ...floorHome },
          encoding: 'utf8',
        },
      );
    const floor = async () => {
      await bmc.set({ power: 'on', clearEvents: true });
      const started = performance.now();
      ipmitool(['chassis', 'power', 'off']);
      const status = ipmitool(['chassis', 'power', 'status']);
      if (!status.includes('Chassis Power is off')) throw new Error(`not off: ${status}`);
      return performance.now() - started;
    };
    const driver = relayDriverFor(relay, 'node-b-bmc');
    const relayAlone = async () => {
      await bmc.set({ power: 'on', clearEvents: true });
      const started = performance.now();
      await driver.powerOff(fenceTarget(), AbortSignal.timeout(20_000));
      const state = await driver.powerState(fenceTarget(), AbortSignal.timeout(20_000));
      if (state !== 'off') throw new Error(`relay reads ${state} after off`);
      return performance.now() - started;
    };
    const fenceIpmilan = async () => {
      await bmc.set({ power: 'on', clearEvents: true });
      const started = performance.now();
      await run(
        'fence_ipmilan',
        [
          '--ip',
          bmc.host,
          '--ipport',
          String(bmc.port),
          '--username',
          bmc.user,
          '--password-script',
          passwordScript,
          '--lanplus',
          '--cipher',
          '3',
          '--action',
          'off',
        ],
        {
          env: { PATH: process.env.PATH, BENCH_BMC_PASSWORD: bmc.password },
        },
      );
      return performance.now() - started;
    };

    const chainCold = await fence();
    await floor();
    const samples = {
      chain: [] as number[],
      relayAlone: [] as number[],
      floor: [] as number[],
      fenceIpmilan: [] as number[],
    };
    for (let i = 0; i < runs; i++) {
      samples.chain.push(await fence());
      samples.relayAlone.push(await relayAlone());
      samples.floor.push(await floor());
      samples.fenceIpmilan.push(await fenceIpmilan());
    }
    return {
      chain: summarize(samples.chain),
      chainCold,
      relayAlone: summarize(samples.relayAlone),
      floor: summarize(samples.floor),
      fenceIpmilan: summarize(samples.fenceIpmilan),
    };
  } finally {
    await server?.stop();
    await relay?.stop();
    await bmc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
