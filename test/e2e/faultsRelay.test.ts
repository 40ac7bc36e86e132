import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../core/protocol/api.ts';
import { type BmcSim, startBmcSim } from '../relay/peers/bmcSim.ts';
import {
  ipmiTargetFor,
  type RelayProcess,
  startRelayProcess,
  writeRelayConfig,
} from '../relay/peers/relay.ts';
import { makeTestPki } from '../relay/peers/tls.ts';
import { ensureDebianPackages } from '../support/debianPackages.ts';
import { startServe } from '../support/processes.ts';
import { writeTestConfig } from '../support/testCluster.ts';

/**
 * Faults at the site, through the whole chain (fencer serve → fencer-relay → real ipmitool →
 * simulated BMC), beyond relayFence.test.ts (relay stopped, hung BMC) and test/relay/ (the
 * relay alone): a busy BMC that then obeys, a dead BMC (no packet answered) alone and with a
 * second level, and a relay that accepts connections but never answers. Each fault gets the
 * outcome DESIGN.md asks for, within the fence deadline.
 */
const deadDeadlineSeconds = 6;
const levelSeconds = 3;
const chainDeadlineSeconds = 12;

let dir: string;
let busyBmc: BmcSim;
let deadBmc: BmcSim;
let relay: RelayProcess;
let stuck: Server;
const stuckSockets = new Set<Socket>();
let serve: Awaited<ReturnType<typeof startServe>>;
let setup: ReturnType<typeof writeTestConfig>;

const relayDevice = (name: string, target: string) => ({ relay: { relay: name, target } });
const dummyLevel = (cluster: string) => [{ dummy: { statusFile: `state/${cluster}/node-b.json` } }];

beforeAll(async () => {
  ensureDebianPackages(['ipmitool', 'python3-pyghmi', 'openssl'], (line) =>
    process.stderr.write(`[relay faults] ${line}\n`),
  );
  dir = mkdtempSync(join(tmpdir(), 'relay-faults-'));
  const pki = makeTestPki(dir);
  [busyBmc, deadBmc] = await Promise.all([
    startBmcSim({ dir, name: 'busy', mode: 'busy', busyCount: 3 }),
    startBmcSim({ dir, name: 'dead', mode: 'dead' }),
  ]);
  const site = writeRelayConfig({
    dir,
    pki,
    keyName: 'fencer-faults',
    targets: { 'busy-bmc': ipmiTargetFor(busyBmc, dir), 'dead-bmc': ipmiTargetFor(deadBmc, dir) },
  });
  relay = await startRelayProcess({ ...site, ca: pki.caCert });
  // A relay address that takes the connection and never says a word (not even TLS).
  stuck = createServer((socket) => {
    stuckSockets.add(socket);
    socket.on('close', () => stuckSockets.delete(socket));
  });
  await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
  const stuckPort = (stuck.address() as { port: number }).port;
  const chain = { fenceDeadlineSeconds: chainDeadlineSeconds, levelTimeoutSeconds: levelSeconds };
  setup = writeTestConfig(
    {
      busy: {
        options: { fenceDeadlineSeconds: 30 },
        nodes: { 'node-a': {}, 'node-b': { levels: [[relayDevice('site', 'busy-bmc')]] } },
      },
      dead: {
        options: { fenceDeadlineSeconds: deadDeadlineSeconds },
        nodes: { 'node-a': {}, 'node-b': { levels: [[relayDevice('site', 'dead-bmc')]] } },
      },
      deadthen: {
        options: chain,
        nodes: {
          'node-a': {},
          'node-b': { levels: [[relayDevice('site', 'dead-bmc')], dummyLevel('deadthen')] },
        },
      },
      silent: {
        options: chain,
        nodes: {
          'node-a': {},
          'node-b': { levels: [[relayDevice('silent', 'busy-bmc')], dummyLevel('silent')] },
        },
      },
    },
    {
      relays: {
        site: relay.fencerRelayConfig(dir),
        silent: { ...relay.fencerRelayConfig(dir), url: `https://127.0.0.1:${stuckPort}` },
      },
    },
  );
  serve = await startServe(['--config', setup.file], {
    ...setup.env,
  });
});

afterAll(async () => {
  const serveExit = await serve?.stop();
  await relay?.stop();
  await Promise.all([busyBmc?.stop(), deadBmc?.stop()]);
  for (const socket of stuckSockets) socket.destroy();
  await new Promise<void>((resolve) => (stuck ? stuck.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(serveExit).toBe(0);
});

/** node-a reports node-b and follows the incident to its end; returns it and the time taken. */
async function fence(cluster: string): Promise<{ last: Incident; seen: string[]; ms: number }> {
  const client = setup.client(serve.url, `${cluster}/node-a`);
  const postedAt = Date.now();
  const answer = await client.request('POST', `/v1/clusters/${cluster}/reports`, {
    target: 'node-b',
  });
  expect(answer.status).toBe(202);
  const id = (answer.body as Incident).incidentId;
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) {
    const last = (
      await client.request('GET', `/v1/clusters/${cluster}/incidents/${id}?waitSeconds=1`)
    ).body as Incident;
    seen.push(last.state);
    if (['fenced', 'failed', 'refused'].includes(last.state))
      return { last, seen, ms: Date.now() - postedAt };
  }
  throw new Error(`incident ${id} not terminal: ${seen.join(',')}`);
}

const outcomes = (incident: Incident) =>
  incident.attempts.map((a) => [a.level, a.driver, a.outcome]);
const levelMs = (incident: Incident, index: number) => {
  const a = incident.attempts[index];
  return Date.parse(a?.endedAt ?? '') - Date.parse(a?.startedAt ?? '');
};
const dummyStatus = (cluster: string) =>
  JSON.parse(readFileSync(setup.statusFile(cluster, 'node-b'), 'utf8'));

describe('site faults through fencer serve → fencer-relay → ipmitool → BMC', () => {
  it('a busy BMC (0xC0 three times) is retried and the target ends fenced, powered off once', async () => {
    const { last } = await fence('busy');

    expect(last.state).toBe('fenced');
    expect(outcomes(last)).toEqual([[1, 'relay', 'off']]);
    const events = await busyBmc.events();
    expect(events.filter((e) => e.result === 'busy')).toHaveLength(3);
    expect(events.filter((e) => e.command === 'power_off' && e.result === 'ok')).toHaveLength(1);
    expect((await busyBmc.state()).power).toBe('off');
  });
});

// Independent clusters, each waiting out a timeout: run side by side.
describe.concurrent('site faults that cost a timeout', () => {
  it('a dead BMC with no other level ends failed at the deadline, never fenced', async ({
    expect,
  }) => {
    const { last, seen, ms } = await fence('dead');

    expect(seen).not.toContain('fenced');
    expect(last).toMatchObject({ state: 'failed', refusal: { code: 'fence-failed' } });
    expect(outcomes(last)).toEqual([[1, 'relay', 'timeout']]);
    expect(ms).toBeGreaterThanOrEqual(deadDeadlineSeconds * 1000 - 500);
    expect(ms).toBeLessThan(deadDeadlineSeconds * 1000 + 2500);
    expect(await deadBmc.count('power_off')).toBe(0);
  });

  it('a dead BMC at level 1 gives up after its level timeout; level 2 fences in time', async ({
    expect,
  }) => {
    const { last, ms } = await fence('deadthen');

    expect(last.state).toBe('fenced');
    expect(outcomes(last)).toEqual([
      [1, 'relay', 'timeout'],
      [2, 'dummy', 'off'],
    ]);
    expect(levelMs(last, 0)).toBeLessThan(levelSeconds * 1000 + 500);
    expect(ms).toBeLessThan(chainDeadlineSeconds * 1000);
    expect(dummyStatus('deadthen')).toMatchObject({ power: 'off', powerOffCalls: 1 });
  });

  it('a relay that accepts and never answers costs level 1 its timeout; level 2 fences', async ({
    expect,
  }) => {
    const before = (await busyBmc.events()).length;

    const { last, ms } = await fence('silent');

    expect(last.state).toBe('fenced');
    expect(outcomes(last)).toEqual([
      [1, 'relay', 'timeout'],
      [2, 'dummy', 'off'],
    ]);
    expect(last.attempts[0]?.detail).toContain('relay silent/busy-bmc');
    expect(levelMs(last, 0)).toBeLessThan(levelSeconds * 1000 + 500);
    expect(ms).toBeLessThan(chainDeadlineSeconds * 1000);
    expect(stuckSockets.size).toBeGreaterThan(0);
    // Nothing went past the silent relay.
    expect((await busyBmc.events()).length).toBe(before);
    expect(dummyStatus('silent')).toMatchObject({ power: 'off', powerOffCalls: 1 });
  });
});
