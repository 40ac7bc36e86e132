import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/support/processes.ts';
import { benchCloudFence } from './cloudFence.ts';
import { benchDecisionPath } from './decisionPath.ts';
import { benchDummyFence } from './dummyFence.ts';
import { benchColdStart, benchRelayFootprint } from './footprint.ts';
import { benchHookLatency } from './hookLatency.ts';
import { benchIpmi } from './ipmi.ts';
import { benchPullRelay } from './pullRelay.ts';
import { benchStartup } from './startup.ts';
import { fmt, type Summary } from './stats.ts';

/**
 * `npm run bench` (`-- --quick` for a short run): the numbers Fencer claims, each next to a
 * baseline measured in the same run. Prints a summary and writes bench/results/latest.json.
 * Not a test: it asserts only what makes a number meaningless (e.g. a fence that did not fence).
 */
const quick = process.argv.includes('--quick');
/** `-- --only=decision,startup`: just those sections (hook, decision, startup, pull, fence, cold, relay). */
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const wanted = (section: string) => !only || only.includes(section);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const started = new Date();
const out = (line = '') => process.stdout.write(`${line}\n`);
const row = (label: string, s: Summary) =>
  out(
    `  ${label.padEnd(52)} median ${fmt(s.median).padStart(9)}  p99 ${fmt(s.p99).padStart(9)}  (n=${s.n})`,
  );

out(
  `Fencer bench — ${started.toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);

out(`  load average at start: ${load()} (the machine may be shared)`);

/** `-- --idle-minutes=N`: how long the idle period before the "after idle" fence lasts. */
const idleMinutes = Number(
  process.argv.find((a) => a.startsWith('--idle-minutes='))?.slice(15) ?? (quick ? 0.5 : 10),
);

let hook: Awaited<ReturnType<typeof benchHookLatency>> | undefined;
if (wanted('hook')) {
  out(
    `\nReport → the hook knowing \`fenced\` (fencer report's wait path), first after start, after ${idleMinutes} min idle, warm`,
  );
  hook = await benchHookLatency(quick ? 5 : 20, idleMinutes);
  for (const [name, h] of Object.entries(hook))
    out(
      `  ${name.padEnd(16)} first after start ${fmt(h.firstAfterStart).padStart(9)}   after idle ${fmt(h.afterIdle).padStart(9)}   warm median ${fmt(h.warm.median).padStart(9)}  p99 ${fmt(h.warm.p99).padStart(9)}  (n=${h.warm.n})   first/warm ${(h.firstAfterStart / h.warm.median).toFixed(2)}×  idle/warm ${(h.afterIdle / h.warm.median).toFixed(2)}×`,
    );
}

const decision = [];
if (wanted('decision')) {
  out('\nDecision path: signed POST …/reports → 202 through fencer serve, 16 clusters');
  for (const ledger of ['sqlite', 'azurite'] as const) {
    const run = await benchDecisionPath(ledger, [20, 50, 100], 64, quick ? 4 : 10);
    decision.push(run);
    out(
      `  ${ledger === 'sqlite' ? 'SQLite (--data-dir, synchronous=FULL)' : 'Azurite (Table Storage)'}:`,
    );
    for (const c of run.cases)
      out(
        `    ${(c.offered ? `open loop ${c.offered}/s` : `saturation, ${c.inFlight} in flight`).padEnd(26)} ${String(c.reportsPerSecond).padStart(5)} reports/s   p50 ${fmt(c.latency.median).padStart(9)}   p99 ${fmt(c.latency.p99).padStart(9)}   ${JSON.stringify(c.statuses)}   load ${c.load.toFixed(1)}`,
      );
  }
}

let startup: Awaited<ReturnType<typeof benchStartup>> | undefined;
if (wanted('startup')) {
  out('\nStartup to healthy (spawn fencer serve → first 200 from /v1/health)');
  startup = await benchStartup(quick ? 3 : 8);
  row('SQLite ledger (--data-dir)', startup.sqlite);
  row('Table ledger, Azurite already running', startup.azuriteServe);
  row('Azurite itself (spawn → listening)', startup.azuriteItself);
}

let pull: Awaited<ReturnType<typeof benchPullRelay>> | undefined;
if (wanted('pull')) {
  out('\nPush vs pull relay: report → fenced through serve → relay → ipmitool → BMC, interleaved');
  pull = await benchPullRelay(quick ? 5 : 20);
  row('push: Fencer → HTTPS → relay (listening)', pull.push);
  row('pull: relay long-polls Fencer (no listening port)', pull.pull);
  row('pull: action delivery (attempt start → at the relay)', pull.delivery);
}

const measured: Record<string, unknown> = {};
if (wanted('fence')) {
  out('\nTime to verified fence (report → incident fenced, from the ledger)');
  const dummy = await benchDummyFence(quick ? 5 : 30);
  row(`dummy target (cold first fence ${fmt(dummy.cold)})`, dummy.fence);
  const ipmi = await benchIpmi(quick ? 5 : 30);
  row(`IPMI: serve → relay → ipmitool → BMC (cold ${fmt(ipmi.chainCold)})`, ipmi.chain);
  row('IPMI: relay alone (relay driver off + status)', ipmi.relayAlone);
  row('baseline: fence_ipmilan --action off', ipmi.fenceIpmilan);
  row('floor: ipmitool off + status, as the relay runs it', ipmi.floor);
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
  Object.assign(measured, { dummy, ipmi, ratios });
}

if (wanted('cold')) {
  out('\nCold start');
  const cold = benchColdStart(quick ? 5 : 15);
  row(`node importing the bundled Functions entry (${cold.entryKiB} KiB)`, cold.entryProcess);
  row('node importing nothing (baseline)', cold.bareProcess);
  row('the import() alone', cold.importOnly);
  out(
    `  ratio entry process / bare node = ${(cold.entryProcess.median / cold.bareProcess.median).toFixed(2)}×`,
  );
  measured['cold'] = cold;
}

if (wanted('relay')) {
  out("\nRelay agent footprint (the single-file build, with the systemd unit's node options)");
  const relay = await benchRelayFootprint(quick ? 200 : 1000);
  out(
    `  relay agent RSS: ${relay.idleRssMiB} MiB idle, ${relay.afterRssMiB} MiB after ${relay.actions} status actions (action p50 ${fmt(relay.actionLatency.median)}, 8 in flight; node ${relay.nodeArgs.join(' ')})`,
  );
  measured['relay'] = relay;
}

finish(measured);

function finish(sections: Record<string, unknown>) {
  const run = {
    startedAt: started.toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadAtEnd: loadavg(),
    },
  };
  const measured = Object.fromEntries(
    Object.entries({
      hook,
      decision: decision.length ? decision : undefined,
      startup,
      pull,
      ...sections,
    })
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, { ...run, result: value }]),
  );
  // A full run's sections replace those in latest.json one by one (`--only` keeps the others);
  // a quick run goes to quick.json (not committed), so it never stands for a measurement.
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, quick ? 'quick.json' : 'latest.json');
  let kept: Record<string, unknown> = {};
  try {
    kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run
  }
  writeFileSync(file, `${JSON.stringify({ ...kept, ...measured }, null, 2)}\n`);
  out(
    `\nwrote bench/results/${quick ? 'quick' : 'latest'}.json (${Math.round((Date.now() - started.getTime()) / 1000)} s)`,
  );
}
