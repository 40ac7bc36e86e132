import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBmcSim } from '../test/relay/peers/bmcSim.ts';
import { fenceTarget, relayDriverFor } from '../test/relay/peers/client.ts';
import {
  ipmiTargetFor,
  relayUnitNodeArgs,
  startRelayProcess,
  writeRelayConfig,
} from '../test/relay/peers/relay.ts';
import { makeTestPki } from '../test/relay/peers/tls.ts';
import { repoRoot } from '../test/support/processes.ts';
import { median, type Summary, summarize } from './stats.ts';

export interface ColdStart {
  entryKiB: number;
  /** `node` importing the bundled Functions entry, wall time of the whole process. */
  entryProcess: Summary;
  /** `node` importing nothing: the floor any entry pays. */
  bareProcess: Summary;
  /** The import() alone, timed inside the process. */
  importOnly: Summary;
}

/** Cold start of the bundled Functions entry (`npm run build`), fresh processes, interleaved. */
export function benchColdStart(runs: number): ColdStart {
  // A fresh clone has no dist/ yet.
  mkdirSync(join(repoRoot, 'dist'), { recursive: true });
  const out = mkdtempSync(join(repoRoot, 'dist', 'bench-'));
  execFileSync('node', ['scripts/build.mjs', out], { cwd: repoRoot, stdio: 'pipe' });
  const entry = join(out, 'index.js');
  const timeProcess = (script: string) => {
    const started = process.hrtime.bigint();
    const out = execFileSync('node', ['--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { wall: Number(process.hrtime.bigint() - started) / 1e6, out };
  };
  const entryRuns: number[] = [];
  const bareRuns: number[] = [];
  const importRuns: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = timeProcess(
      `const s = performance.now(); await import(${JSON.stringify(entry)}); console.log(performance.now() - s);`,
    );
    entryRuns.push(t.wall);
    importRuns.push(Number(t.out.trim().split('\n').at(-1)));
    bareRuns.push(timeProcess('0').wall);
  }
  const entryKiB = Math.round(readFileSync(entry).length / 1024);
  rmSync(out, { recursive: true, force: true });
  return {
    entryKiB,
    entryProcess: summarize(entryRuns),
    bareProcess: summarize(bareRuns),
    importOnly: summarize(importRuns),
  };
}

export interface RelayFootprint {
  idleRssMiB: number;
  afterRssMiB: number;
  actions: number;
  actionLatency: Summary;
  /** The node options the relay ran with (the systemd unit's). */
  nodeArgs: string[];
}

const rssMiB = (pid: number) => {
  const line =
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:')) ?? '';
  return Math.round((Number(line.replace(/\D+/g, '')) / 1024) * 10) / 10;
};

/**
 * The relay agent's resident memory at idle, and after `actions` signed status actions (real
 * ipmitool), running the single-file build a site installs (`npm run build:relay`) with the
 * node options of its systemd unit.
 */
export async function benchRelayFootprint(actions: number, inFlight = 8): Promise<RelayFootprint> {
  const dir = mkdtempSync(join(tmpdir(), 'fencer-bench-rss-'));
  const entry = join(dir, 'fencer-relay.mjs');
  execFileSync('node', ['relay-agent/build.mjs', entry], { cwd: repoRoot, stdio: 'pipe' });
  const bmc = await startBmcSim({ dir });
  const pki = makeTestPki(dir);
  const site = writeRelayConfig({ dir, pki, targets: { bmc: ipmiTargetFor(bmc, dir) } });
  const nodeArgs = relayUnitNodeArgs();
  const relay = await startRelayProcess({ ...site, ca: pki.caCert, entry, nodeArgs });
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const idleRssMiB = rssMiB(relay.peer.pid);
    const driver = relayDriverFor(relay, 'bmc');
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < actions) {
          next++;
          const started = performance.now();
          await driver.powerState(fenceTarget(), AbortSignal.timeout(20_000));
          latencies.push(performance.now() - started);
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 1000));
    return {
      idleRssMiB,
      afterRssMiB: rssMiB(relay.peer.pid),
      actions: latencies.length,
      actionLatency: summarize(latencies),
      nodeArgs,
    };
  } finally {
    await relay.stop();
    await bmc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export { median };
