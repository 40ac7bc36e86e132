import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Incident } from '../core/protocol/api.ts';
import { startBmcSim } from '../test/relay/peers/bmcSim.ts';
import {
  type PullRelayProcess,
  startPullRelayProcess,
  writePullRelayConfig,
} from '../test/relay/peers/pullRelay.ts';
import {
  ipmiTargetFor,
  newRelayKey,
  type RelayProcess,
  secretFile,
  startRelayProcess,
  writeRelayConfig,
} from '../test/relay/peers/relay.ts';
import { makeTestPki } from '../test/relay/peers/tls.ts';
import { ensureDebianPackages } from '../test/support/debianPackages.ts';
import { startBenchServer } from './server.ts';
import { type Summary, summarize } from './stats.ts';

export interface PullRelayResult {
  /** Report → `fenced` through fencer serve → HTTPS → relay (listening) → ipmitool → BMC. */
  push: Summary;
  /** The same through a pull-only relay (it long-polls fencer serve; nothing listens at the site). */
  pull: Summary;
  /**
   * Pull: the fence's first action, from the attempt's start at Fencer to its arrival at the
   * relay (the relay's audit line: answered at − elapsed). Includes signing and the durable write.
   */
  delivery: Summary;
}

/**
 * Push vs pull, side by side: one BMC, one relay of each mode, fences interleaved run by run so
 * both see the same machine load. Each run must show exactly one power-off.
 */
export async function benchPullRelay(runs: number): Promise<PullRelayResult> {
  ensureDebianPackages(['ipmitool', 'python3-pyghmi', 'openssl']);
  const dir = mkdtempSync(join(tmpdir(), 'fencer-bench-pull-'));
  const bmc = await startBmcSim({ dir });
  const pki = makeTestPki(dir);
  const target = { 'node-b-bmc': ipmiTargetFor(bmc, dir) };
  const pushSite = writeRelayConfig({ dir, pki, targets: target });
  const pullKey = newRelayKey();
  let push: RelayProcess | undefined;
  let pull: PullRelayProcess | undefined;
  let server: Awaited<ReturnType<typeof startBenchServer>> | undefined;
  try {
    push = await startRelayProcess({ ...pushSite, ca: pki.caCert });
    const nodes = (relay: string) => ({
      'node-a': { levels: [[{ dummy: { statusFile: `${relay}-a.json` } }]] },
      'node-b': { levels: [[{ relay: { relay, target: 'node-b-bmc' } }]] },
    });
    server = await startBenchServer(
      {
        push: { fenceDeadlineSeconds: 60, nodes: nodes('dc1') },
        pull: { fenceDeadlineSeconds: 60, nodes: nodes('site1') },
      },
      {
        dc1: push.fencerRelayConfig(dir),
        site1: {
          mode: 'pull',
          keyName: 'site1',
          key: { secretRef: secretFile(dir, 'site1', pullKey) },
        },
      },
    );
    const site = writePullRelayConfig({
      dir,
      url: server.url,
      keyName: 'site1',
      key: pullKey,
      targets: target,
    });
    pull = await startPullRelayProcess({ file: site.file });
    const live = { server, pull };

    const fence = async (cluster: 'push' | 'pull') => {
      await bmc.set({ power: 'on', clearEvents: true });
      const reporter = live.server.client(`${cluster}/node-a`);
      const postedAt = Date.now();
      const answer = await reporter.request('POST', `/v1/clusters/${cluster}/reports`, {
        target: 'node-b',
        reason: 'bench',
      });
      if (answer.status !== 202)
        throw new Error(`report: ${answer.status} ${JSON.stringify(answer.body)}`);
      const id = (answer.body as Incident).incidentId;
      const incident = (
        await reporter.request('GET', `/v1/clusters/${cluster}/incidents/${id}?waitSeconds=30`)
      ).body as Incident;
      if (incident.state !== 'fenced') throw new Error(`not fenced: ${JSON.stringify(incident)}`);
      const offs = await bmc.count('power_off');
      if (offs !== 1) throw new Error(`the BMC saw ${offs} power-offs in one fence`);
      const back = await live.server
        .client('admin/ops')
        .request('POST', `/v1/clusters/${cluster}/nodes/node-b/unfence`, {});
      if (back.status !== 200) throw new Error(`unfence: ${back.status}`);
      return { ms: Date.parse(incident.updatedAt) - postedAt, incident };
    };
    /** From the attempt's start to the first action's arrival at the pull relay. */
    const deliveryOf = (incident: Incident) => {
      const startedAt = Date.parse(incident.attempts[0]?.startedAt ?? '');
      const audits = live.pull.peer.lines
        .filter((l) => l.includes('"audit":"action"') && l.includes(incident.incidentId))
        .map((l) => JSON.parse(l) as { time: string; elapsedMs: number });
      const first = audits.map((a) => Date.parse(a.time) - a.elapsedMs).sort((a, b) => a - b)[0];
      if (first === undefined || Number.isNaN(startedAt))
        throw new Error('no audit line for the fence');
      return first - startedAt;
    };

    await fence('push');
    await fence('pull');
    const samples = { push: [] as number[], pull: [] as number[], delivery: [] as number[] };
    for (let i = 0; i < runs; i++) {
      samples.push.push((await fence('push')).ms);
      const pulled = await fence('pull');
      samples.pull.push(pulled.ms);
      // The audit line is written once the relay answered; give it a moment to reach stdout.
      await new Promise((r) => setTimeout(r, 50));
      samples.delivery.push(deliveryOf(pulled.incident));
    }
    return {
      push: summarize(samples.push),
      pull: summarize(samples.pull),
      delivery: summarize(samples.delivery),
    };
  } finally {
    await server?.stop();
    await Promise.all([push?.stop(), pull?.stop()]);
    await bmc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
