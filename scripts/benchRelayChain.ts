/**
 * Median time of a verified IPMI power-off through the whole chain: signed report (POST) →
 * `fencer serve` (arbiter, queue, worker, engine) → relay driver → HTTPS → `fencer-relay`
 * process → ipmitool → simulated BMC → incident `fenced`; next to ipmitool's own
 * `chassis power off` + `chassis power status` on the same simulator, in the same run.
 *
 *   npx tsx scripts/benchRelayChain.ts [runs]      (default 20; needs ipmitool and python3-pyghmi)
 *
 * Not a test: numbers depend on the machine. Between runs the node is unfenced by an admin with
 * power-on (through the relay), outside the timed part. "observed" is when a GET (every 20 ms)
 * first saw `fenced`; "recorded" is the incident's updatedAt, the ledger write of `fenced`.
 * The engine sleeps `defaultPolicy.pollInitialMs` after the relay's (already verified) off
 * before its own status read; that share of the chain is printed separately.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedAzurite } from '../cli/embeddedAzurite.ts';
import { defaultPolicy } from '../core/engine/policy.ts';
import type { Incident } from '../core/protocol/api.ts';
import { startBmcSim } from '../test/relay/peers/bmcSim.ts';
import { ipmiTargetFor, startRelayProcess, writeRelayConfig } from '../test/relay/peers/relay.ts';
import { makeTestPki } from '../test/relay/peers/tls.ts';
import { ensureDebianPackages } from '../test/support/debianPackages.ts';
import { startServe } from '../test/support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../test/support/testCluster.ts';

const runs = Number(process.argv[2] ?? 20);
const cluster = 'bench';
const node = 'node-b';

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 === 1 ? at(0.5) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, p90: at(0.9), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}
type Stats = ReturnType<typeof stats>;

const f = (n: number) => `${n.toFixed(0)} ms`.padStart(7);
const line = (label: string, s: Stats) =>
  `  ${label.padEnd(44)} median ${f(s.median)}  p90 ${f(s.p90)}  min ${f(s.min)}  max ${f(s.max)}\n`;

ensureDebianPackages(['ipmitool', 'python3-pyghmi', 'openssl']);
const dir = mkdtempSync(join(tmpdir(), 'bench-relay-chain-'));
const pki = makeTestPki(dir);
const azurite = await startEmbeddedAzurite();
const bmc = await startBmcSim({ dir });
const site = writeRelayConfig({ dir, pki, targets: { 'node-b-bmc': ipmiTargetFor(bmc, dir) } });
const relay = await startRelayProcess({ ...site, ca: pki.caCert });
const setup = writeTestConfig(
  {
    [cluster]: {
      options: { fenceDeadlineSeconds: 60 },
      nodes: {
        'node-a': {},
        [node]: { levels: [[{ relay: { relay: 'dc1', target: 'node-b-bmc' } }]] },
      },
    },
  },
  { relays: { dc1: relay.fencerRelayConfig(dir) } },
);
const serve = await startServe(['--config', setup.file], {
  ...setup.env,
  AzureWebJobsStorage: azurite.connectionString,
  FENCER_STORAGE_PREFIX: uniquePrefix('benchrelay'),
});
const reporter = setup.client(serve.url, `${cluster}/node-a`);
const admin = setup.client(serve.url, 'admin/ops');

interface ChainSample {
  observed: number;
  recorded: number;
  /** POST → the attempt started (arbiter, queue, claim, driver built). */
  toAttempt: number;
  /** The attempt: status, off (the relay verifies), the engine's first poll, status. */
  attempt: number;
  /** Attempt ended → `fenced` written. */
  close: number;
  /** Inside the attempt: the relay's own elapsedMs of its actions (ipmitool runs, its polls). */
  relay: number;
}

/** The relay's audit lines of one incident (requestIds start with its attempt ids). */
async function relayActions(incidentId: string, count: number): Promise<number[]> {
  for (let i = 0; i < 50; i++) {
    const elapsed = relay.peer.lines
      .filter((l) => l.includes(`"requestId":"${incidentId}.`))
      .map((l) => (JSON.parse(l) as { elapsedMs: number }).elapsedMs);
    if (elapsed.length >= count) return elapsed;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the relay did not audit ${count} actions of ${incidentId}`);
}

/** One report → fenced, with the BMC's log checked for exactly one power-off. */
async function fenceOnce(): Promise<ChainSample> {
  // The raw ipmitool run before left the BMC off.
  await bmc.set({ power: 'on', clearEvents: true });
  const postedAt = Date.now();
  const started = performance.now();
  const answer = await reporter.request('POST', `/v1/clusters/${cluster}/reports`, {
    target: node,
    reason: 'bench',
  });
  if (answer.status !== 202)
    throw new Error(`report: ${answer.status} ${JSON.stringify(answer.body)}`);
  const id = (answer.body as Incident).incidentId;
  for (;;) {
    const incident = (await reporter.request('GET', `/v1/clusters/${cluster}/incidents/${id}`))
      .body as Incident;
    if (incident.state === 'fenced') {
      const observed = performance.now() - started;
      const attempt = incident.attempts.find((a) => a.outcome === 'off');
      if (!attempt || incident.attempts.length !== 1)
        throw new Error(`unexpected attempts: ${JSON.stringify(incident.attempts)}`);
      const offs = await bmc.count('power_off');
      if (offs !== 1) throw new Error(`the BMC saw ${offs} power-offs in one fence`);
      const startedAt = Date.parse(attempt.startedAt);
      const endedAt = Date.parse(attempt.endedAt);
      return {
        observed,
        recorded: Date.parse(incident.updatedAt) - postedAt,
        toAttempt: startedAt - postedAt,
        attempt: endedAt - startedAt,
        close: Date.parse(incident.updatedAt) - endedAt,
        // The engine's sequence: status, off (the relay verifies), status after its first poll.
        relay: (await relayActions(id, 3)).reduce((a, b) => a + b, 0),
      };
    }
    if (incident.state !== 'fencing') throw new Error(`not fenced: ${JSON.stringify(incident)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Unfence with power-on through the relay, and check that the simulator is on again. */
async function unfence(): Promise<void> {
  const answer = await admin.request('POST', `/v1/clusters/${cluster}/nodes/${node}/unfence`, {
    powerOn: true,
  });
  const body = answer.body as { powerOn?: { ok: boolean; detail: string } };
  if (answer.status !== 200 || !body.powerOn?.ok)
    throw new Error(`unfence: ${answer.status} ${JSON.stringify(body)}`);
  const power = (await bmc.state()).power;
  if (power !== 'on') throw new Error(`the BMC is ${power} after power-on`);
}

/** One ipmitool call as an operator would type it (password through IPMI_PASSWORD and -E). */
function ipmitool(words: string[]): string {
  return execFileSync(
    'ipmitool',
    [
      ...['-I', 'lanplus', '-C', '3', '-H', bmc.host, '-p', String(bmc.port)],
      ...['-U', bmc.user, '-E', ...words],
    ],
    { env: { PATH: process.env['PATH'], IPMI_PASSWORD: bmc.password }, encoding: 'utf8' },
  );
}

/** ipmitool's own off + status; the BMC is switched back on (untimed) before each. */
async function rawOffAndStatus(): Promise<number> {
  await bmc.set({ power: 'on', clearEvents: true });
  const started = performance.now();
  ipmitool(['chassis', 'power', 'off']);
  const status = ipmitool(['chassis', 'power', 'status']);
  const elapsed = performance.now() - started;
  if (!status.includes('Chassis Power is off')) throw new Error(`not off: ${status}`);
  return elapsed;
}

try {
  // Warm-up, untimed: the worker's first relay driver (lazy import), first TLS handshake.
  const cold = await fenceOnce();
  await unfence();
  await rawOffAndStatus();
  const chain: ChainSample[] = [];
  const raw: number[] = [];
  // Interleaved, so both see the same machine load.
  for (let i = 0; i < runs; i++) {
    chain.push(await fenceOnce());
    await unfence();
    raw.push(await rawOffAndStatus());
  }
  await bmc.set({ power: 'on', clearEvents: true });

  const pick = (k: keyof ChainSample) => stats(chain.map((s) => s[k]));
  const observed = pick('observed');
  const rawStats = stats(raw);
  const poll = defaultPolicy.pollInitialMs;
  const out = process.stdout;
  out.write(`verified IPMI power-off, ${runs} runs each (pyghmi BMC on 127.0.0.1)\n`);
  out.write(`whole chain: report → fenced (first fence, cold: ${f(cold.observed)})\n`);
  out.write(line('observed (GET every 20 ms saw fenced)', observed));
  out.write(line('recorded (incident updatedAt)', pick('recorded')));
  out.write(line('  report → attempt started', pick('toAttempt')));
  out.write(line('  attempt (status, off+verify, poll, status)', pick('attempt')));
  out.write(line('    in the relay (3 actions, its elapsedMs)', pick('relay')));
  out.write(line('  attempt ended → fenced recorded', pick('close')));
  out.write(`raw ipmitool on the same simulator\n`);
  out.write(line('chassis power off + chassis power status', rawStats));
  out.write(
    `ratio chain/raw (medians): ${(observed.median / rawStats.median).toFixed(1)}x  ` +
      `(p90: ${(observed.p90 / rawStats.p90).toFixed(1)}x)\n`,
  );
  out.write(
    `engine's first poll interval: ${poll} ms = ${((100 * poll) / observed.median).toFixed(0)}% ` +
      `of the chain median; without it ${f(observed.median - poll).trim()} ` +
      `(${((observed.median - poll) / rawStats.median).toFixed(1)}x raw)\n`,
  );
} finally {
  await serve.stop();
  await relay.stop();
  await bmc.stop();
  await azurite.stop();
  rmSync(dir, { recursive: true, force: true });
}
