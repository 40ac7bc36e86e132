/**
 * Median time of a verified IPMI power-off through the relay alone (relay driver → HTTPS →
 * fencer-relay process → ipmitool → simulated BMC), next to ipmitool's own `chassis power off`
 * + `chassis power status` on the same simulator.
 *
 *   npx tsx scripts/benchRelay.ts [runs]      (default 30; needs ipmitool and python3-pyghmi)
 *
 * Not a test: numbers depend on the machine. The BMC is switched back on between runs through
 * its control API, outside the timed part.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBmcSim } from '../test/relay/peers/bmcSim.ts';
import { fenceTarget, relayDriverFor } from '../test/relay/peers/client.ts';
import { ensureRelayPackages } from '../test/relay/peers/packages.ts';
import { ipmiTargetFor, startRelayProcess, writeRelayConfig } from '../test/relay/peers/relay.ts';
import { makeTestPki } from '../test/relay/peers/tls.ts';

const runs = Number(process.argv[2] ?? 30);

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p90: at(0.9), min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN };
}

async function measure(name: string, reset: () => Promise<void>, once: () => Promise<void>) {
  const samples: number[] = [];
  await reset();
  await once(); // warm-up: first TLS handshake, first tsx compile paths
  for (let i = 0; i < runs; i++) {
    await reset();
    const started = performance.now();
    await once();
    samples.push(performance.now() - started);
  }
  const s = stats(samples);
  const f = (n: number) => `${n.toFixed(1)} ms`.padStart(9);
  process.stdout.write(
    `${name.padEnd(58)} median ${f(s.median)}  p90 ${f(s.p90)}  min ${f(s.min)}  max ${f(s.max)}\n`,
  );
}

ensureRelayPackages();
const dir = mkdtempSync(join(tmpdir(), 'bench-relay-'));
const pki = makeTestPki(dir);
const bmc = await startBmcSim({ dir });
const config = writeRelayConfig({ dir, pki, targets: { bmc: ipmiTargetFor(bmc, dir) } });
const relay = await startRelayProcess({ ...config, ca: pki.caCert });
try {
  const reset = async () => {
    await bmc.set({ power: 'on', clearEvents: true });
  };
  const ipmitool = (verbose: boolean, words: string[]) =>
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
        ...(verbose ? ['-v'] : []),
        ...words,
      ],
      {
        env: { PATH: process.env['PATH'], IPMI_PASSWORD: bmc.password },
        encoding: 'utf8',
        stdio: 'pipe',
      },
    );
  const rawOffAndStatus = (verbose: boolean) => async () => {
    ipmitool(verbose, ['chassis', 'power', 'off']);
    const status = ipmitool(verbose, ['chassis', 'power', 'status']);
    if (!status.includes('Chassis Power is off')) throw new Error(`not off: ${status}`);
  };
  const driver = relayDriverFor(relay, 'bmc');
  process.stdout.write(`verified IPMI power-off, ${runs} runs each (pyghmi BMC on 127.0.0.1)\n`);
  await measure(
    'raw ipmitool: chassis power off + chassis power status',
    reset,
    rawOffAndStatus(false),
  );
  await measure(
    'raw ipmitool -v (as the relay runs it): off + status',
    reset,
    rawOffAndStatus(true),
  );
  await measure('relay alone: relay driver → fencer-relay → ipmitool → BMC', reset, async () => {
    await driver.powerOff(fenceTarget(), AbortSignal.timeout(10_000));
  });
  await measure('relay alone, as the engine calls it: status, off, status', reset, async () => {
    const target = fenceTarget();
    await driver.powerState(target, AbortSignal.timeout(10_000));
    await driver.powerOff(target, AbortSignal.timeout(10_000));
    if ((await driver.powerState(target, AbortSignal.timeout(10_000))) !== 'off')
      throw new Error('not off');
  });
  if ((await bmc.count('power_off')) > 1)
    throw new Error('the BMC saw more than one power-off in a run');
} finally {
  await relay.stop();
  await bmc.stop();
  rmSync(dir, { recursive: true, force: true });
}
