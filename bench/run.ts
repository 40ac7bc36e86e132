import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/support/processes.ts';
import { benchCloudFence } from './cloudFence.ts';
import { benchDecisionPath } from './decisionPath.ts';
import { benchDummyFence } from './dummyFence.ts';
import { benchColdStart, benchRelayFootprint } from './footprint.ts';
import { benchIpmi } from './ipmi.ts';
import { benchPullRelay } from './pullRelay.ts';
import { fmt, type Summary } from './stats.ts';

/**
 * `npm run bench` (`-- --quick` for a short run): the numbers Fencer claims, each next to a
 * baseline measured in the same run. Prints a summary and writes bench/results/latest.json.
 * Not a test: it asserts only what makes a number meaningless (e.g. a fence that did not fence).
 */
const quick = process.argv.includes('--quick');
const started = new Date();
const out = (line = '') => process.stdout.write(`${line}\n`);
const row = (label: string, s: Summary) =>
  out(
    `  ${label.padEnd(52)} median ${fmt(s.median).padStart(9)}  p99 ${fmt(s.p99).padStart(9)}  (n=${s.n})`,
  );

out(
  `Fencer bench — ${started.toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);

out('\nDecision path: signed POST …/reports → 202 through fencer serve on Azurite, 32 in flight');
const decision = await benchDecisionPath([1, 16, 64], 32, quick ? 4 : 15);
for (const c of decision)
  out(
    `  ${String(c.clusters).padStart(2)} cluster(s): ${String(c.reportsPerSecond).padStart(4)} reports/s   p50 ${fmt(c.latency.median)}   p99 ${fmt(c.latency.p99)}   ${JSON.stringify(c.statuses)}`,
  );

out('\nTime to verified fence (report → incident fenced, from the ledger)');
const dummy = await benchDummyFence(quick ? 5 : 30);
row(`dummy target (cold first fence ${fmt(dummy.cold)})`, dummy.fence);
const ipmi = await benchIpmi(quick ? 5 : 30);
row(`IPMI: serve → relay → ipmitool → BMC (cold ${fmt(ipmi.chainCold)})`, ipmi.chain);
row('IPMI: relay alone (relay driver off + status)', ipmi.relayAlone);
row('baseline: fence_ipmilan --action off', ipmi.fenceIpmilan);
row('floor: ipmitool chassis power off + power status', ipmi.floor);
const cloud = await benchCloudFence(quick ? 5 : 20);
row(`azure-vm on the fake ARM (cold ${fmt(cloud.azureVm.cold)})`, cloud.azureVm.fence);
row(`aws-ec2 on the fake EC2 (cold ${fmt(cloud.awsEc2.cold)})`, cloud.awsEc2.fence);
const ratios = {
  chainVsFenceIpmilan: ipmi.chain.median / ipmi.fenceIpmilan.median,
  chainVsFloor: ipmi.chain.median / ipmi.floor.median,
  relayAloneVsFloor: ipmi.relayAlone.median / ipmi.floor.median,
};
out(
  `  ratios (medians): whole chain / fence_ipmilan = ${ratios.chainVsFenceIpmilan.toFixed(2)}×, whole chain / floor = ${ratios.chainVsFloor.toFixed(2)}×, relay alone / floor = ${ratios.relayAloneVsFloor.toFixed(2)}×`,
);

out('\nPush vs pull relay: report → fenced through serve → relay → ipmitool → BMC, interleaved');
const pull = await benchPullRelay(quick ? 5 : 20);
row('push: Fencer → HTTPS → relay (listening)', pull.push);
row('pull: relay long-polls Fencer (no listening port)', pull.pull);
row('pull: action delivery (attempt start → at the relay)', pull.delivery);

out('\nCold start and footprint');
const cold = benchColdStart(quick ? 5 : 15);
row(`node importing the bundled Functions entry (${cold.entryKiB} KiB)`, cold.entryProcess);
row('node importing nothing (baseline)', cold.bareProcess);
row('the import() alone', cold.importOnly);
out(
  `  ratio entry process / bare node = ${(cold.entryProcess.median / cold.bareProcess.median).toFixed(2)}×`,
);
const relay = await benchRelayFootprint(quick ? 200 : 1000);
out(
  `  relay agent RSS: ${relay.idleRssMiB} MiB idle, ${relay.afterRssMiB} MiB after ${relay.actions} status actions (action p50 ${fmt(relay.actionLatency.median)}, 8 in flight)`,
);

const report = {
  startedAt: started.toISOString(),
  quick,
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  decision,
  dummy,
  ipmi,
  ratios,
  pull,
  cold,
  relay,
};
const dir = join(repoRoot, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
out(`\nwrote bench/results/latest.json (${Math.round((Date.now() - started.getTime()) / 1000)} s)`);
