import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import { type BmcSim, startBmcSim } from '../relay/peers/bmcSim.ts';
import {
  type PullRelayProcess,
  startPullRelayProcess,
  writePullRelayConfig,
} from '../relay/peers/pullRelay.ts';
import { ipmiTargetFor } from '../relay/peers/relay.ts';
import { ensureDebianPackages } from '../support/debianPackages.ts';
import { freePort } from '../support/ports.ts';
import { startServe } from '../support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';

/**
 * Issue 17 end to end: `fencer serve` and a `fencer-relay` in pull mode — no listening port,
 * it only dials out to Fencer — running real ipmitool against a simulated BMC. Each scenario
 * has its own cluster (`node-a` reports, `node-b` is fenced through relay site1).
 */
const stoppedDeadlineSeconds = 8;
const hungDeadlineSeconds = 5;

let dir: string;
let bmc: BmcSim;
let relay: PullRelayProcess;
let relayFile: string;
let serve: Awaited<ReturnType<typeof startServe>>;
let setup: ReturnType<typeof writeTestConfig>;
let serveArgs: string[];
let serveEnv: Record<string, string>;

const device = [[{ relay: { relay: 'site1', target: 'node-b-bmc' } }]];
const cluster = (fenceDeadlineSeconds: number) => ({
  options: { fenceDeadlineSeconds },
  nodes: { 'node-a': {}, 'node-b': { levels: device } },
});

beforeAll(async () => {
  ensureDebianPackages(['ipmitool', 'python3-pyghmi'], (line) =>
    process.stderr.write(`[pull e2e] ${line}\n`),
  );
  dir = mkdtempSync(join(tmpdir(), 'pull-e2e-'));
  bmc = await startBmcSim({ dir, name: 'node-b' });
  // Fencer's port is chosen first: the relay is told where to dial, and a restart keeps it.
  const port = await freePort();
  const site1 = writePullRelayConfig({
    dir,
    url: `http://127.0.0.1:${port}/api`,
    keyName: 'site1',
    targets: { 'node-b-bmc': ipmiTargetFor(bmc, dir) },
  });
  relayFile = site1.file;
  setup = writeTestConfig(
    {
      chain: cluster(30),
      restart: cluster(30),
      stopped: cluster(stoppedDeadlineSeconds),
      hung: cluster(hungDeadlineSeconds),
    },
    { relays: { site1: site1.fencerRelayConfig } },
  );
  serveArgs = ['--config', setup.file, '--port', String(port)];
  serveEnv = {
    ...setup.env,
    AzureWebJobsStorage: inject('azurite'),
    FENCER_STORAGE_PREFIX: uniquePrefix('pull'),
  };
  serve = await startServe(serveArgs, serveEnv);
  relay = await startPullRelayProcess({ file: relayFile });
});

afterAll(async () => {
  const serveExit = await serve?.stop();
  await relay?.stop();
  await bmc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(serveExit).toBe(0);
});

/** node-a reports node-b; returns the accepted incident and when it was posted. */
async function report(name: string): Promise<{ incident: Incident; postedAt: number }> {
  const postedAt = Date.now();
  const answer = await setup
    .client(serve.url, `${name}/node-a`)
    .request('POST', `/v1/clusters/${name}/reports`, { target: 'node-b', reason: 'pull e2e' });
  expect(answer.status).toBe(202);
  return { incident: answer.body as Incident, postedAt };
}

/** Follows an incident until it is terminal; returns every state seen and when it ended. */
async function follow(name: string, id: string) {
  const client = setup.client(serve.url, `${name}/node-a`);
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) {
    const answer = await client.request(
      'GET',
      `/v1/clusters/${name}/incidents/${id}?waitSeconds=2`,
    );
    expect(answer.status).toBe(200);
    const incident = answer.body as Incident;
    seen.push(incident.state);
    if (['fenced', 'failed', 'refused'].includes(incident.state))
      return { seen, last: incident, endedAt: Date.now() };
  }
  throw new Error(`incident ${id} not terminal: ${seen.join(',')}`);
}

async function nodeState(name: string): Promise<string | undefined> {
  const view = (await setup.client(serve.url, 'admin/ops').request('GET', `/v1/clusters/${name}`))
    .body as ClusterView;
  return view.nodes.find((n) => n.name === 'node-b')?.state;
}

const polls = (r: PullRelayProcess) =>
  r.peer.lines.filter((l) => l.includes('"msg":"polling http')).length;

describe('fencer serve ← fencer-relay (pull mode, no listening port) → ipmitool → BMC', () => {
  it('a report fences the node through a relay that only dials out', async () => {
    // Prepare
    await bmc.set({ mode: 'normal', power: 'on', answerDelayMs: 0, clearEvents: true });
    expect(relay.listeningSockets()).toBe(0);

    // Act
    const { incident, postedAt } = await report('chain');
    const { last, endedAt } = await follow('chain', incident.incidentId);

    // Assess
    expect(last).toMatchObject({ state: 'fenced', target: 'node-b' });
    expect(last.attempts.map((a) => [a.level, a.driver, a.outcome])).toEqual([[1, 'relay', 'off']]);
    expect(last.attempts[0]?.detail).toContain('relay site1/node-b-bmc: verified off');
    expect(await bmc.count('power_off')).toBe(1);
    expect((await bmc.state()).power).toBe('off');
    expect(await nodeState('chain')).toBe('fenced');
    expect(endedAt - postedAt).toBeLessThan(10_000);
    // The relay verified and audited the action as in push mode, and still listens nowhere.
    const audit = await relay.waitForLine(
      (l) => l.includes('"audit":"action"') && l.includes('"action":"off"'),
    );
    expect(audit).toContain('"verified":true');
    expect(audit).toContain('"keyId":"site1"');
    expect(relay.peer.lines.join('\n')).not.toContain('listening on');
    expect(relay.listeningSockets()).toBe(0);
  });

  it('Fencer restarted while the relay polls: the relay reconnects by itself and the next fence works', async () => {
    // Prepare
    await bmc.set({ mode: 'normal', power: 'on', clearEvents: true });
    const before = polls(relay);

    // Act: Fencer goes away (a held poll is cut) and comes back on the same address.
    expect(await serve.stop()).toBe(0);
    await relay.waitForLine((l) => l.includes('cannot poll'), 15_000);
    serve = await startServe(serveArgs, serveEnv);
    const deadline = Date.now() + 20_000;
    while (polls(relay) === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const { incident } = await report('restart');
    const { last } = await follow('restart', incident.incidentId);

    // Assess
    expect(polls(relay)).toBe(before + 1);
    expect(relay.peer.exited()).toBe(false);
    expect(last.state).toBe('fenced');
    expect(await bmc.count('power_off')).toBe(1);
  });

  it('relay stopped mid-fence: the level fails at its deadline, never fenced; started again, the next fence works', async () => {
    // Prepare: every BMC answer is slow, so the relay is inside an action when it dies.
    await bmc.set({ mode: 'normal', power: 'on', answerDelayMs: 1500, clearEvents: true });

    // Act: the relay takes the first action (a status read), then is killed.
    const { incident, postedAt } = await report('stopped');
    const deadline = Date.now() + 10_000;
    while (!(await bmc.events()).some((e) => e.command === 'session_open')) {
      if (Date.now() > deadline) throw new Error('the relay never reached the BMC');
      await new Promise((r) => setTimeout(r, 20));
    }
    relay.peer.child.kill('SIGKILL');
    await relay.stop();
    const { seen, last, endedAt } = await follow('stopped', incident.incidentId);

    // Assess: failed at the deadline, and nothing reached the BMC but that one status read.
    expect(seen).not.toContain('fenced');
    expect(last).toMatchObject({ state: 'failed', refusal: { code: 'fence-failed' } });
    expect(endedAt - postedAt).toBeGreaterThanOrEqual(stoppedDeadlineSeconds * 1000 - 500);
    expect(endedAt - postedAt).toBeLessThan(stoppedDeadlineSeconds * 1000 + 5000);
    expect(last.attempts[0]?.detail).toMatch(/relay site1\/node-b-bmc: /);
    expect(await bmc.count('power_off')).toBe(0);
    expect(await nodeState('stopped')).toBe('failed');

    // Act: the relay comes back; the actions of the failed fence are not handed to it.
    await bmc.set({ answerDelayMs: 0 });
    relay = await startPullRelayProcess({ file: relayFile });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await bmc.count('power_off')).toBe(0);
    expect((await bmc.state()).power).toBe('on');
    const unfenced = await setup
      .client(serve.url, 'admin/ops')
      .request('POST', '/v1/clusters/stopped/nodes/node-b/unfence', {});
    expect(unfenced.status).toBe(200);
    const next = await report('stopped');
    const { last: fenced } = await follow('stopped', next.incident.incidentId);

    // Assess
    expect(fenced.state).toBe('fenced');
    expect(await bmc.count('power_off')).toBe(1);
  });

  it('a BMC that acks the power-off and stays on: the relay answers verified:false, never fenced', async () => {
    // Prepare
    await bmc.set({ mode: 'hung', power: 'on', answerDelayMs: 0, clearEvents: true });

    // Act
    const { incident, postedAt } = await report('hung');
    const { seen, last, endedAt } = await follow('hung', incident.incidentId);
    await bmc.set({ mode: 'normal' });

    // Assess
    expect(seen).not.toContain('fenced');
    expect(last).toMatchObject({ state: 'failed' });
    expect(last.attempts[0]).toMatchObject({ driver: 'relay', outcome: 'timeout' });
    expect(endedAt - postedAt).toBeLessThan(hungDeadlineSeconds * 1000 + 5000);
    expect(await bmc.count('power_off')).toBeGreaterThanOrEqual(1);
    expect((await bmc.state()).power).toBe('on');
    const audit = await relay.waitForLine(
      (l) => l.includes('"action":"off"') && l.includes('"verified":false'),
    );
    expect(audit).toContain('node-b-bmc');
  });
});
