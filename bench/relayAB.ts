import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sendReport } from '../cli/report.ts';
import { type BmcSim, startBmcSim } from '../test/relay/peers/bmcSim.ts';
import {
  ipmiTargetFor,
  type RelayProcess,
  relayUnitNodeArgs,
  startRelayProcess,
  writeRelayConfig,
} from '../test/relay/peers/relay.ts';
import { makeTestPki } from '../test/relay/peers/tls.ts';
import { repoRoot } from '../test/support/processes.ts';
import { startBenchServer } from './server.ts';
import { summarize } from './stats.ts';

/**
 * Two relay agents side by side behind one `fencer serve`, each with its own BMC simulator:
 * report → the hook knowing `fenced`, the two interleaved fence by fence so both see the same
 * machine load. `npx tsx bench/relayAB.ts [runs] ['{"name":{"entry":FILE,"nodeArgs":[...]}}']`;
 * by default the single-file build with the systemd unit's node options against the same
 * build without them. An entry is a relay's main file (a build, or bin/fencer-relay.js of
 * another checkout). Not part of `npm run bench`: a tool for one question at a time.
 */
const runs = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'fencer-relay-ab-'));
let specs: Record<string, { entry: string; nodeArgs?: string[] }>;
if (process.argv[3]) {
  specs = JSON.parse(process.argv[3]) as typeof specs;
} else {
  const entry = join(dir, 'fencer-relay.mjs');
  execFileSync('node', ['relay-agent/build.mjs', entry], { cwd: repoRoot, stdio: 'pipe' });
  specs = { unit: { entry, nodeArgs: relayUnitNodeArgs() }, plain: { entry } };
}
const pki = makeTestPki(dir);
const sides: { name: string; node: string; bmc: BmcSim; relay: RelayProcess }[] = [];
let server: Awaited<ReturnType<typeof startBenchServer>> | undefined;
try {
  for (const [name, { entry, nodeArgs }] of Object.entries(specs)) {
    const bmc = await startBmcSim({ dir, name });
    const site = writeRelayConfig({
      dir,
      pki,
      targets: { t: ipmiTargetFor(bmc, dir) },
      file: join(dir, `${name}.yaml`),
      keyName: `k-${name}`,
    });
    const relay = await startRelayProcess({
      ...site,
      ca: pki.caCert,
      entry,
      ...(nodeArgs ? { nodeArgs } : {}),
    });
    sides.push({ name, node: `n-${name}`, bmc, relay });
  }
  const nodes: Record<string, unknown> = { a: {} };
  for (const s of sides) nodes[s.node] = { levels: [[{ relay: { relay: s.name, target: 't' } }]] };
  server = await startBenchServer(
    { ab: { maxConcurrentFences: 2, minSurvivors: 0, nodes } } as never,
    Object.fromEntries(sides.map((s) => [s.name, s.relay.fencerRelayConfig(dir)])),
  );
  const admin = server.client('admin/ops');
  const times = new Map(sides.map((s) => [s.name, [] as number[]]));
  // One untimed round first; then the order alternates, so neither side always goes first.
  for (let n = 0; n <= runs; n++) {
    for (const s of n % 2 ? sides : [...sides].reverse()) {
      await s.bmc.set({ power: 'on', clearEvents: true });
      const started = performance.now();
      const result = await sendReport({
        url: server.url,
        keyId: 'ab/a',
        secret: server.secret('ab/a'),
        target: s.node,
        waitSeconds: 60,
      });
      const ms = performance.now() - started;
      if (result.exit !== 0) throw new Error(`${s.name}: ${result.message}`);
      if (n > 0) times.get(s.name)?.push(ms);
      await s.bmc.set({ power: 'on' });
      const back = await admin.request('POST', `/v1/clusters/ab/nodes/${s.node}/unfence`, {});
      if (back.status !== 200) throw new Error(`unfence: ${back.status}`);
    }
  }
  for (const [name, t] of times) {
    const s = summarize(t);
    process.stdout.write(`${name.padEnd(12)} median ${s.median} ms  p90 ${s.p90} ms  (n=${s.n})\n`);
  }
} finally {
  await server?.stop();
  for (const s of sides) {
    await s.relay.stop();
    await s.bmc.stop();
  }
  rmSync(dir, { recursive: true, force: true });
}
