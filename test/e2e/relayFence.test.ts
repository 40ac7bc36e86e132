import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import { type BmcSim, readBmcLog, startBmcSim } from '../relay/peers/bmcSim.ts';
import { rawRequest } from '../relay/peers/client.ts';
import {
  ipmiTargetFor,
  type RelayProcess,
  startRelayProcess,
  writeRelayConfig,
} from '../relay/peers/relay.ts';
import { makeTestPki, type TestPki } from '../relay/peers/tls.ts';
import { ensureDebianPackages } from '../support/debianPackages.ts';
import { startServe } from '../support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';

/**
 * Issue 4 end to end: signed reports to one `fencer serve` process whose nodes are fenced
 * through `fencer-relay` processes (HTTPS, signed actions) running real ipmitool against
 * simulated BMCs. Each scenario has its own cluster: `node-a` reports, `node-b` is the target.
 * - relay dc1 stays up: `node-b-bmc` is a normal BMC, `hung-bmc` acks power-off and stays on;
 * - relay dc2 is stopped before its scenario, so level 1 cannot reach the site.
 */
const hungDeadlineSeconds = 5;
const failoverLevelSeconds = 5;

/** Only what the IPMI path needs; the vCenter simulator's Go toolchain is not. */
const ipmiPackages = ['ipmitool', 'python3-pyghmi', 'openssl'];

let dir: string;
let pki: TestPki;
let bmc: BmcSim;
let hungBmc: BmcSim;
let dc1: RelayProcess;
let dc2: RelayProcess;
let serve: Awaited<ReturnType<typeof startServe>>;
let setup: ReturnType<typeof writeTestConfig>;

const relayDevice = (relay: string, target: string) => ({ relay: { relay, target } });

beforeAll(async () => {
  ensureDebianPackages(ipmiPackages, (line) => process.stderr.write(`[relay e2e] ${line}\n`));
  dir = mkdtempSync(join(tmpdir(), 'relay-e2e-'));
  pki = makeTestPki(dir);
  [bmc, hungBmc] = await Promise.all([
    startBmcSim({ dir, name: 'node-b' }),
    startBmcSim({ dir, name: 'hung', mode: 'hung' }),
  ]);
  const site1 = writeRelayConfig({
    dir,
    pki,
    keyName: 'fencer-dc1',
    file: join(dir, 'relay-dc1.yaml'),
    targets: { 'node-b-bmc': ipmiTargetFor(bmc, dir), 'hung-bmc': ipmiTargetFor(hungBmc, dir) },
  });
  const site2 = writeRelayConfig({
    dir,
    pki,
    keyName: 'fencer-dc2',
    file: join(dir, 'relay-dc2.yaml'),
    targets: { 'node-b-bmc': ipmiTargetFor(bmc, dir) },
  });
  [dc1, dc2] = await Promise.all([
    startRelayProcess({ ...site1, ca: pki.caCert }),
    startRelayProcess({ ...site2, ca: pki.caCert }),
  ]);
  setup = writeTestConfig(
    {
      chain: {
        options: { fenceDeadlineSeconds: 30 },
        nodes: { 'node-a': {}, 'node-b': { levels: [[relayDevice('dc1', 'node-b-bmc')]] } },
      },
      failover: {
        options: { fenceDeadlineSeconds: 15, levelTimeoutSeconds: failoverLevelSeconds },
        nodes: {
          'node-a': {},
          'node-b': {
            levels: [
              [relayDevice('dc2', 'node-b-bmc')],
              [{ dummy: { statusFile: 'state/failover/node-b.json' } }],
            ],
          },
        },
      },
      poweron: {
        options: { fenceDeadlineSeconds: 30 },
        nodes: { 'node-a': {}, 'node-b': { levels: [[relayDevice('dc1', 'node-b-bmc')]] } },
      },
      hung: {
        options: { fenceDeadlineSeconds: hungDeadlineSeconds },
        nodes: { 'node-a': {}, 'node-b': { levels: [[relayDevice('dc1', 'hung-bmc')]] } },
      },
    },
    { relays: { dc1: dc1.fencerRelayConfig(dir), dc2: dc2.fencerRelayConfig(dir) } },
  );
  serve = await startServe(['--config', setup.file], {
    ...setup.env,
    AzureWebJobsStorage: inject('azurite'),
    FENCER_STORAGE_PREFIX: uniquePrefix('relay'),
  });
});

afterAll(async () => {
  // By PID, each one: the host first (no fence may start meanwhile), then the site.
  const serveExit = await serve?.stop();
  await Promise.all([dc1?.stop(), dc2?.stop()]);
  await Promise.all([bmc?.stop(), hungBmc?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(serveExit).toBe(0);
});

/** node-a reports node-b; returns the accepted incident and when it was posted. */
async function report(cluster: string): Promise<{ incident: Incident; postedAt: number }> {
  const postedAt = Date.now();
  const answer = await setup
    .client(serve.url, `${cluster}/node-a`)
    .request('POST', `/v1/clusters/${cluster}/reports`, { target: 'node-b', reason: 'e2e' });
  expect(answer.status).toBe(202);
  return { incident: answer.body as Incident, postedAt };
}

/** Follows an incident until it is terminal; returns every state seen on the way. */
async function follow(cluster: string, id: string): Promise<{ seen: string[]; last: Incident }> {
  const client = setup.client(serve.url, `${cluster}/node-a`);
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) {
    const answer = await client.request(
      'GET',
      `/v1/clusters/${cluster}/incidents/${id}?waitSeconds=1`,
    );
    expect(answer.status).toBe(200);
    const incident = answer.body as Incident;
    seen.push(incident.state);
    if (['fenced', 'failed', 'refused'].includes(incident.state)) return { seen, last: incident };
  }
  throw new Error(`incident ${id} not terminal after 60 s: ${seen.join(',')}`);
}

async function nodeState(cluster: string, node: string): Promise<string | undefined> {
  const view = (
    await setup.client(serve.url, `${cluster}/node-a`).request('GET', `/v1/clusters/${cluster}`)
  ).body as ClusterView;
  return view.nodes.find((n) => n.name === node)?.state;
}

describe('fencer serve → fencer-relay → ipmitool → simulated BMC', () => {
  it('a report ends fenced, the BMC saw exactly one power-off, the attempt names the relay level', async () => {
    // Prepare
    await bmc.set({ mode: 'normal', power: 'on', clearEvents: true });

    // Act
    const { incident } = await report('chain');
    const { last } = await follow('chain', incident.incidentId);

    // Assess
    expect(last).toMatchObject({ state: 'fenced', target: 'node-b', reporters: ['node-a'] });
    expect(last.attempts).toHaveLength(1);
    expect(last.attempts[0]).toMatchObject({ level: 1, driver: 'relay', outcome: 'off' });
    expect(last.attempts[0]?.detail).toContain('relay dc1/node-b-bmc: verified off');
    expect(await bmc.count('power_off')).toBe(1);
    expect((await bmc.state()).power).toBe('off');
    // The simulator's own log file says the same (it is what a post-mortem reads).
    const log = readBmcLog(bmc.logFile);
    expect(log.filter((e) => e.command === 'power_off')).toHaveLength(1);
    expect(await nodeState('chain', 'node-b')).toBe('fenced');
    // The relay audited the action with the target, never the BMC password.
    const audit = await dc1.waitForLine(
      (l) => l.includes('"action":"off"') && l.includes('node-b-bmc'),
    );
    expect(audit).toContain('"verified":true');
    expect(dc1.peer.lines.join('\n')).not.toContain(bmc.password);
  });

  it('with the relay stopped, level 1 records the relay unreachable and level 2 fences', async () => {
    // Prepare: the site relay was up and is now gone.
    const health = await rawRequest(dc2.url, { method: 'GET', path: '/v1/health', ca: pki.caCert });
    expect(health.status).toBe(200);
    await dc2.stop();
    expect(dc2.peer.exited()).toBe(true);
    await bmc.set({ mode: 'normal', power: 'on', clearEvents: true });

    // Act
    const { incident, postedAt } = await report('failover');
    const { last } = await follow('failover', incident.incidentId);

    // Assess
    expect(last.state).toBe('fenced');
    expect(last.attempts.map((a) => [a.level, a.driver, a.outcome])).toEqual([
      [1, 'relay', 'error'],
      [2, 'dummy', 'off'],
    ]);
    expect(last.attempts[0]?.detail).toMatch(/relay dc2\/node-b-bmc: .*ECONNREFUSED/);
    expect(last.attempts[0]?.detail).toContain('[relay-unreachable]');
    // Level 1 gave up within its own timeout, leaving level 2 the rest of the deadline.
    const level1 = last.attempts[0];
    expect(Date.parse(level1?.endedAt ?? '') - Date.parse(level1?.startedAt ?? '')).toBeLessThan(
      failoverLevelSeconds * 1000 + 500,
    );
    expect(Date.now() - postedAt).toBeLessThan(15_000);
    expect(JSON.parse(readFileSync(setup.statusFile('failover', 'node-b'), 'utf8'))).toMatchObject({
      power: 'off',
      powerOffCalls: 1,
    });
    // Nothing reached the BMC behind the stopped relay.
    expect(await bmc.count('power_off')).toBe(0);
    expect(await nodeState('failover', 'node-b')).toBe('fenced');
  });

  it('a hung BMC (acks, never turns off) with no second level ends failed at the deadline, never fenced', async () => {
    // Prepare
    await hungBmc.set({ mode: 'hung', power: 'on', clearEvents: true });

    // Act
    const { incident, postedAt } = await report('hung');
    const { seen, last } = await follow('hung', incident.incidentId);
    const elapsedMs = Date.now() - postedAt;

    // Assess: the power-off was sent and acknowledged, but nobody saw the chassis off.
    expect(seen).not.toContain('fenced');
    expect(last).toMatchObject({ state: 'failed', refusal: { code: 'fence-failed' } });
    expect(last.refusal?.detail).toContain('deadline passed');
    expect(last.attempts).toHaveLength(1);
    expect(last.attempts[0]).toMatchObject({ level: 1, driver: 'relay', outcome: 'timeout' });
    expect(last.attempts[0]?.detail).toContain('relay dc1/hung-bmc: not verified off within');
    expect(elapsedMs).toBeGreaterThanOrEqual(hungDeadlineSeconds * 1000 - 500);
    expect(elapsedMs).toBeLessThan(hungDeadlineSeconds * 1000 + 5000);
    expect(await hungBmc.count('power_off')).toBeGreaterThanOrEqual(1);
    expect((await hungBmc.state()).power).toBe('on');
    expect(await nodeState('hung', 'node-b')).toBe('failed');
    // Still failed a while later: a late relay answer cannot turn it into fenced.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await follow('hung', incident.incidentId)).last.state).toBe('failed');
  });

  it('unfence with power-on: the node is a member only once the power-on ended; no fence overlaps it', async () => {
    // Prepare: node-b fenced, then a slow BMC (every answer 250 ms late).
    await bmc.set({ mode: 'normal', power: 'on', answerDelayMs: 0, clearEvents: true });
    const { incident } = await report('poweron');
    expect((await follow('poweron', incident.incidentId)).last.state).toBe('fenced');
    await bmc.set({ answerDelayMs: 250, clearEvents: true });
    const admin = setup.client(serve.url, 'admin/ops');

    // Act: a report about node-b while its power-on is under way.
    const poweringOn = admin.request('POST', '/v1/clusters/poweron/nodes/node-b/unfence', {
      powerOn: true,
    });
    await new Promise((r) => setTimeout(r, 400));
    const during = await setup
      .client(serve.url, 'poweron/node-a')
      .request('POST', '/v1/clusters/poweron/reports', { target: 'node-b' });
    const stateDuring = await nodeState('poweron', 'node-b');
    const answer = await poweringOn;
    await bmc.set({ answerDelayMs: 0 });

    // Assess
    expect(during).toMatchObject({ status: 409, body: { code: 'in-flight' } });
    expect(stateDuring).toBe('fenced');
    expect(answer).toMatchObject({ status: 200, body: { state: 'member', powerOn: { ok: true } } });
    expect(await nodeState('poweron', 'node-b')).toBe('member');
    const commands = (await bmc.events())
      .map((e) => e.command)
      .filter((c) => c.startsWith('power_'));
    expect(commands).toEqual(['power_on']);
  });
});
