import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/apiClient.ts';
import type { LocalHost } from '../../cli/localHost.ts';
import { systemClock } from '../../core/clock.ts';
import { driverContextOf } from '../../core/drivers/registry.ts';
import { createRelayDriver, defaultRelayTiming } from '../../core/drivers/relay.ts';
import type { RelayPollAnswer } from '../../core/protocol/relay.ts';
import { ledgerKinds } from '../support/ledgers.ts';
import { answerTo, target, verifyPulled, writePullTestConfig } from '../support/pullSetup.ts';
import { startTestHost } from './localHost.ts';

/**
 * Pull mode on the local host (issue 17): the relay's poll and results routes, who may use
 * them, and the relay driver's exchange through the mailbox — an action reaches a waiting poll
 * within 250 ms (in-process wake), signed as a push-mode request; its answer reaches the driver.
 */
const setup = writePullTestConfig();
let host: LocalHost;
let site1: ApiClient;
let site2: ApiClient;

const poll = (client: ApiClient, relay: string, waitSeconds: number) =>
  client.request('POST', `/v1/relays/${relay}/poll?waitSeconds=${waitSeconds}`);

/** Starts a driver call of node `node` (through its relay) and returns its promise. */
async function driverCall(node: 'b' | 'c', signal = new AbortController().signal) {
  const driver = await host.runtime.drivers.get(setup.deviceOf(node));
  return driver.powerState(target(node), signal);
}

describe.each(ledgerKinds)('pull relays on the local host, %s ledger', (kind) => {
  beforeAll(async () => {
    host = await startTestHost(setup.loaded, 'relaypull', { ledger: kind });
    site1 = setup.relayClient(host.url, 'site1');
    site2 = setup.relayClient(host.url, 'site2');
  });
  afterAll(() => host?.stop());

  describe('routes: who may use them', () => {
    it('refuses every key but the relay’s own on its routes, and a relay key anywhere else (403)', async () => {
      // Act
      const answers = await Promise.all([
        setup.client(host.url, 'pc/a').request('POST', '/v1/relays/site1/poll'),
        setup.client(host.url, 'admin/ops').request('POST', '/v1/relays/site1/poll'),
        setup.viewerClient(host.url).request('POST', '/v1/relays/site1/poll'),
        site2.request('POST', '/v1/relays/site1/poll'),
        site2.request('POST', '/v1/relays/site1/results', {
          requestId: 'x',
          status: 500,
          problem: { code: 'x', detail: 'x' },
        }),
        site1.request('GET', '/v1/clusters/pc'),
        site1.request('GET', '/v1/clusters'),
        site1.request('POST', '/v1/clusters/pc/reports', { target: 'b' }),
        site1.request('GET', '/v1/clusters/pc/readiness'),
      ]);

      // Assess
      for (const answer of answers)
        expect(answer).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    });

    it('refuses a poll wait over 25 s or a body other than {} (400), and an unknown key (401)', async () => {
      // Act
      const tooLong = await poll(site1, 'site1', 26);
      const withBody = await site1.request('POST', '/v1/relays/site1/poll', { wait: 1 });
      const unknown = await new ApiClient({
        url: host.url,
        keyId: 'relay/nowhere',
        secret: randomBytes(32).toString('base64'),
        clock: systemClock,
      }).request('POST', '/v1/relays/nowhere/poll');
      const elsewhere = await site1.request('POST', '/v1/relays/nowhere/poll');
      const empty = await site1.request('POST', '/v1/relays/site1/poll', {});

      // Assess
      expect(tooLong).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
      expect(withBody).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
      expect(unknown).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
      expect(elsewhere).toMatchObject({ status: 403, body: { code: 'forbidden' } });
      expect(empty).toMatchObject({ status: 200, body: { actions: [] } });
    });

    it('takes a result only for an action issued to that relay (404 otherwise); a repeat is 204', async () => {
      // Prepare: an action issued to site2 (node c), taken by site2.
      const pending = driverCall('c');
      const taken = (await poll(site2, 'site2', 5)).body as RelayPollAnswer;
      const action = taken.actions[0];
      if (!action) throw new Error('no action for site2');
      const request = await verifyPulled(action, 'site2', setup.relayKey('site2'));

      // Act
      const unknown = await site1.request(
        'POST',
        '/v1/relays/site1/results',
        answerTo({ ...request, requestId: 'never-issued' }, 'on'),
      );
      const foreign = await site1.request(
        'POST',
        '/v1/relays/site1/results',
        answerTo(request, 'off'),
      );
      const own = await site2.request('POST', '/v1/relays/site2/results', answerTo(request, 'on'));
      const repeat = await site2.request(
        'POST',
        '/v1/relays/site2/results',
        answerTo(request, 'off'),
      );

      // Assess: the foreign answer changed nothing; the first own answer is the one.
      expect(unknown).toMatchObject({ status: 404, body: { code: 'not-found' } });
      expect(foreign).toMatchObject({ status: 404, body: { code: 'not-found' } });
      expect([own.status, repeat.status]).toEqual([204, 204]);
      expect(await pending).toBe('on');
    });
  });

  describe('driver ↔ poll (in-process wake)', () => {
    it('an action reaches a waiting poll within 250 ms, signed as a push-mode request; its answer is the driver’s', async () => {
      const latencies: number[] = [];
      for (let round = 0; round < 5; round++) {
        // Prepare: the relay is waiting in a long-poll.
        const waiting = poll(site1, 'site1', 10);
        await new Promise((r) => setTimeout(r, 150));

        // Act
        const issuedAt = performance.now();
        const pending = driverCall('b');
        const answer = await waiting;
        latencies.push(performance.now() - issuedAt);
        const action = (answer.body as RelayPollAnswer).actions[0];
        if (!action) throw new Error('no action');
        const request = await verifyPulled(action, 'site1', setup.relayKey('site1'));
        const posted = await site1.request(
          'POST',
          '/v1/relays/site1/results',
          answerTo(request, round % 2 ? 'off' : 'on'),
        );

        // Assess
        expect(Object.keys(action.headers).sort()).toEqual([
          'X-Fencer-Key',
          'X-Fencer-Nonce',
          'X-Fencer-Signature',
          'X-Fencer-Timestamp',
        ]);
        expect(request).toMatchObject({ target: 'b-switch', action: 'status' });
        expect(posted.status).toBe(204);
        expect(await pending).toBe(round % 2 ? 'off' : 'on');
      }
      console.log(
        `pull delivery, local host on ${kind}: ${latencies.map((l) => l.toFixed(0)).join(', ')} ms`,
      );
      // DESIGN's 250 ms, held by the median: one round on a loaded 2-core CI machine may lose
      // the processor for longer (the bench measures the distribution on a quiet one).
      const sorted = [...latencies].sort((a, b) => a - b);
      expect(sorted[2]).toBeLessThan(250);
      expect(sorted[4]).toBeLessThan(1_000);
    });

    it('a status the relay did not verify reads unknown; a problem answer fails the call as push mode would', async () => {
      // Act
      const unverified = driverCall('b');
      const first = ((await poll(site1, 'site1', 5)).body as RelayPollAnswer).actions[0];
      if (!first) throw new Error('no action');
      const firstRequest = await verifyPulled(first, 'site1', setup.relayKey('site1'));
      await site1.request('POST', '/v1/relays/site1/results', answerTo(firstRequest, 'on', false));
      const refused = driverCall('b').catch((err: unknown) => err);
      const second = ((await poll(site1, 'site1', 5)).body as RelayPollAnswer).actions[0];
      if (!second) throw new Error('no action');
      const secondRequest = await verifyPulled(second, 'site1', setup.relayKey('site1'));
      await site1.request('POST', '/v1/relays/site1/results', {
        requestId: secondRequest.requestId,
        status: 503,
        problem: { code: 'unavailable', detail: 'busy', retryable: true, retryAfter: 2 },
      });

      // Assess
      expect(await unverified).toBe('unknown');
      expect(await refused).toMatchObject({
        code: 'relay-unavailable',
        retryable: true,
        retryAfterMs: 2000,
      });
    });

    it('an action the driver stopped waiting for is never handed out', async () => {
      // Prepare
      const aborted = new AbortController();
      const gaveUp = driverCall('c', aborted.signal).catch((err: unknown) => err);

      // Act: the level ends (abort) before site2 polls.
      await new Promise((r) => setTimeout(r, 200));
      aborted.abort(new Error('level over'));
      await gaveUp;
      await new Promise((r) => setTimeout(r, 100));
      const later = await poll(site2, 'site2', 1);

      // Assess
      expect(later).toMatchObject({ status: 200, body: { actions: [] } });
    });

    it('no answer in time is a retryable relay-timeout that says whether the relay took the action', async () => {
      // Prepare: a driver with a short status deadline; site2 polled a moment ago.
      const driver = createRelayDriver(
        { relay: 'site2', target: 'c-switch' },
        { ...driverContextOf(setup.loaded, systemClock), relayMailbox: host.runtime.relayMailbox },
        { ...defaultRelayTiming, statusDeadlineMs: 300, networkMarginMs: 200 },
      );
      await poll(site2, 'site2', 0);

      // Act
      const notTaken = await driver
        .powerState(target('c'), new AbortController().signal)
        .catch((e: unknown) => e);
      const takenCall = driver
        .powerState(target('c'), new AbortController().signal)
        .catch((e: unknown) => e);
      const taken = await poll(site2, 'site2', 5);
      const takenButSilent = await takenCall;

      // Assess
      expect(notTaken).toMatchObject({ code: 'relay-timeout', retryable: true });
      expect(String(notTaken)).toMatch(
        /no answer within 500 ms: the relay did not take the action \(last poll \d+ s ago/,
      );
      expect((taken.body as RelayPollAnswer).actions).toHaveLength(1);
      expect(takenButSilent).toMatchObject({ code: 'relay-timeout', retryable: true });
      expect(String(takenButSilent)).toContain('the relay took the action but did not answer');
    });
  });
});
