import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiClient } from '../../cli/apiClient.ts';
import { signRequest } from '../../core/auth/signing.ts';
import { systemClock } from '../../core/clock.ts';
import type { RelayActionStore } from '../../core/drivers/relayActions.ts';
import { LedgerRelayActions } from '../../core/ledger/relayActionStore.ts';
import { clientsFromConnectionString, storageNames } from '../../core/ledger/storage.ts';
import { TableDocuments } from '../../core/ledger/table/tableDocuments.ts';
import { type BmcSim, startBmcSim } from '../relay/peers/bmcSim.ts';
import {
  type PullRelayProcess,
  startPullRelayProcess,
  writePullRelayConfig,
} from '../relay/peers/pullRelay.ts';
import { ipmiTargetFor, newRelayKey, secretFile } from '../relay/peers/relay.ts';
import { ensureDebianPackages } from '../support/debianPackages.ts';
import { freePort } from '../support/ports.ts';
import { startServe } from '../support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';

/**
 * Issue 17, security: only an action Fencer signed is ever acted on. The test plays someone who
 * can write Fencer's ledger (or sits between Fencer and the relay): it puts actions into the
 * relay's mailbox — tampered, forged, stale, replayed — and the pull-only relay refuses each
 * exactly as it would over HTTPS, powering nothing off. A result is taken only from the
 * relay's own key, only for an action issued to it.
 */
let dir: string;
let bmc: BmcSim;
let relay: PullRelayProcess;
let serve: Awaited<ReturnType<typeof startServe>>;
let setup: ReturnType<typeof writeTestConfig>;
let mailbox: RelayActionStore;
let key: string;
const site2Key = newRelayKey();

beforeAll(async () => {
  ensureDebianPackages(['ipmitool', 'python3-pyghmi']);
  dir = mkdtempSync(join(tmpdir(), 'pull-security-'));
  bmc = await startBmcSim({ dir, name: 'node-b' });
  const port = await freePort();
  const site1 = writePullRelayConfig({
    dir,
    url: `http://127.0.0.1:${port}/api`,
    keyName: 'site1',
    targets: { 'node-b-bmc': ipmiTargetFor(bmc, dir) },
  });
  key = site1.key;
  const site2 = {
    mode: 'pull',
    keyName: 'site2',
    key: { secretRef: secretFile(dir, 'site2', site2Key) },
  };
  setup = writeTestConfig(
    {
      sec: {
        nodes: {
          'node-a': {},
          'node-b': { levels: [[{ relay: { relay: 'site1', target: 'node-b-bmc' } }]] },
        },
      },
    },
    { relays: { site1: site1.fencerRelayConfig, site2 } },
  );
  const prefix = uniquePrefix('pullsec');
  serve = await startServe(['--config', setup.file, '--port', String(port)], {
    ...setup.env,
    AzureWebJobsStorage: inject('azurite'),
    FENCER_STORAGE_PREFIX: prefix,
  });
  relay = await startPullRelayProcess({ file: site1.file });
  mailbox = new LedgerRelayActions(
    new TableDocuments(clientsFromConnectionString(inject('azurite'), storageNames(prefix)).ledger),
  );
});

afterAll(async () => {
  const serveExit = await serve?.stop();
  await relay?.stop();
  await bmc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(serveExit).toBe(0);
});

/** An action as Fencer signs it: `POST /v1/actions`, key `site1`, headers as a poll hands them. */
function signed(action: 'off' | 'status', options: { secret?: string; nowMs?: number } = {}) {
  const requestId = `sec.${randomBytes(4).toString('hex')}:node-b-bmc:${action}:1`;
  const body = JSON.stringify({ requestId, target: 'node-b-bmc', action, deadlineMs: 8000 });
  const h = signRequest({
    keyId: 'site1',
    secret: options.secret ?? key,
    method: 'POST',
    pathWithQuery: '/v1/actions',
    body,
    nowMs: options.nowMs ?? Date.now(),
  });
  const headers = {
    'X-Fencer-Key': h['x-fencer-key'] ?? '',
    'X-Fencer-Timestamp': h['x-fencer-timestamp'] ?? '',
    'X-Fencer-Nonce': h['x-fencer-nonce'] ?? '',
    'X-Fencer-Signature': h['x-fencer-signature'] ?? '',
  };
  return { requestId, headers, body };
}

/** Puts an action into a relay's mailbox under `row` (the body's requestId by default). */
async function put(
  relay: string,
  action: { requestId: string; headers: Record<string, string>; body: string },
  row = action.requestId,
) {
  const now = Date.now();
  await mailbox.put({
    relay,
    requestId: row,
    headers: action.headers,
    body: action.body,
    issuedAt: now,
    expiresAt: now + 20_000,
  });
}

async function answerOf(relayName: string, requestId: string) {
  const until = Date.now() + 15_000;
  for (;;) {
    const state = await mailbox.get(relayName, requestId);
    if (state?.result) return { status: state.result.status, body: JSON.parse(state.result.body) };
    if (Date.now() > until) throw new Error(`no answer to ${requestId}: ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const relayClient = (name: string, secret: string) =>
  new ApiClient({ url: serve.url, keyId: `relay/${name}`, secret, clock: systemClock });

describe('pull mode: only what Fencer signed is acted on', () => {
  it('a tampered action (status signed, off delivered) is refused 401; nothing powered off', async () => {
    // Prepare
    await bmc.set({ mode: 'normal', power: 'on', clearEvents: true });
    const original = signed('status');
    const tampered = { ...original, body: original.body.replace('"status"', '"off"') };

    // Act
    await put('site1', tampered);
    const answer = await answerOf('site1', original.requestId);

    // Assess
    // What the driver gets: the relay's 401 problem, as push mode would have answered.
    expect(answer).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
    expect(await bmc.count('power_off')).toBe(0);
    expect((await bmc.state()).power).toBe('on');
  });

  it('an action signed with another secret, or an old one (stale timestamp), is refused 401', async () => {
    // Prepare
    await bmc.set({ clearEvents: true });
    const forged = signed('off', { secret: newRelayKey() });
    const stale = signed('off', { nowMs: Date.now() - 400_000 });

    // Act
    await put('site1', forged);
    await put('site1', stale);

    // Assess
    for (const action of [forged, stale]) {
      const answer = await answerOf('site1', action.requestId);
      expect(answer).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
    }
    expect(await bmc.count('power_off')).toBe(0);
  });

  it('a replayed action (the exact bytes of one it ran) is not run again: the replay powers nothing off', async () => {
    // Prepare: a genuine off, run and answered; then the node is powered on again by hand.
    await bmc.set({ mode: 'normal', power: 'on', clearEvents: true });
    const genuine = signed('off');
    await put('site1', genuine);
    expect(await answerOf('site1', genuine.requestId)).toMatchObject({
      status: 200,
      body: { verified: true, powerState: 'off' },
    });
    expect(await bmc.count('power_off')).toBe(1);
    await bmc.set({ power: 'on' });

    // Act: the same headers and body handed out again.
    await put('site1', genuine, `replay-${randomBytes(3).toString('hex')}`);
    await relay.waitForLine((l) => l.includes('not run again') && l.includes(genuine.requestId));
    await new Promise((r) => setTimeout(r, 1000));

    // Assess
    expect(await bmc.count('power_off')).toBe(1);
    expect((await bmc.state()).power).toBe('on');
  });

  it('answers only from the relay’s own key, for an action issued to it; a node key cannot poll (403/404)', async () => {
    // Prepare: an action issued to site2 (which nobody runs).
    const forSite2 = signed('off');
    await put('site2', forSite2);
    const answer = {
      requestId: forSite2.requestId,
      target: 'node-b-bmc',
      action: 'off',
      powerState: 'off',
      verified: true,
      elapsedMs: 1,
      steps: [],
    };

    // Act
    const foreign = await relayClient('site1', key).request(
      'POST',
      '/v1/relays/site1/results',
      answer,
    );
    const unknown = await relayClient('site1', key).request('POST', '/v1/relays/site1/results', {
      ...answer,
      requestId: 'never-issued',
    });
    const otherRoute = await relayClient('site1', key).request(
      'POST',
      '/v1/relays/site2/results',
      answer,
    );
    const nodeAnswer = await setup
      .client(serve.url, 'sec/node-a')
      .request('POST', '/v1/relays/site2/results', answer);
    const nodePoll = await setup
      .client(serve.url, 'sec/node-a')
      .request('POST', '/v1/relays/site1/poll');
    const adminPoll = await setup
      .client(serve.url, 'admin/ops')
      .request('POST', '/v1/relays/site2/poll');

    // Assess: nothing reached site2's action.
    expect(foreign).toMatchObject({ status: 404, body: { code: 'not-found' } });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'not-found' } });
    for (const refused of [otherRoute, nodeAnswer, nodePoll, adminPoll])
      expect(refused).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect(await mailbox.get('site2', forSite2.requestId)).toMatchObject({
      state: 'pending',
      deliveries: 0,
    });
    expect(await bmc.count('power_off')).toBe(1);
  });
});
