import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signRequest } from '../../core/auth/signing.ts';
import { clientsFromConnectionString, storageNames } from '../../core/ledger/storage.ts';
import { tableLedger } from '../../core/ledger/table/tableLedger.ts';
import { silentLog } from '../../core/log.ts';
import type { RelayPollAnswer } from '../../core/protocol/relay.ts';
import { createRuntime, type Runtime } from '../../core/runtime.ts';
import { apiHandler } from '../../functions/api.ts';
import { getRuntime, resetRuntime } from '../../functions/deps.ts';
import { answerTo, target, verifyPulled, writePullTestConfig } from '../support/pullSetup.ts';
import { uniquePrefix } from '../support/testCluster.ts';

/**
 * Pull mode in the Functions app (issue 17): the relay's poll and results routes through their
 * adapters (`new HttpRequest` / `InvocationContext`), with the fence worker on another instance
 * — a second runtime on the same storage — so the action crosses instances through the ledger,
 * not an in-process signal. A relay holds at most one poll, whichever instance serves it.
 */
const setup = writePullTestConfig();
const prefix = uniquePrefix('fnpull');
const saved = { ...process.env };
/** The instance that runs the fence worker (and a second poll, for the one-poll rule). */
let worker: Runtime;

beforeAll(async () => {
  Object.assign(process.env, setup.env, {
    FENCER_CONFIG: setup.file,
    AzureWebJobsStorage: inject('azurite'),
    FENCER_STORAGE_PREFIX: prefix,
  });
  resetRuntime();
  await getRuntime(); // creates the tables
  const storage = clientsFromConnectionString(inject('azurite'), storageNames(prefix));
  const ledger = tableLedger(storage, { now: () => Date.now() });
  worker = createRuntime({ loaded: setup.loaded, ledger, log: silentLog, version: 't' });
});
afterAll(() => {
  process.env = saved;
  resetRuntime();
});

const context = () => new InvocationContext({ functionName: 'relayPoll', invocationId: 'inv-1' });

function relayRequest(relay: 'site1' | 'site2', path: string, body?: unknown) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers = signRequest({
    keyId: `relay/${relay}`,
    secret: setup.relayKey(relay),
    method: 'POST',
    pathWithQuery: path,
    body: text,
    nowMs: Date.now(),
  });
  return new HttpRequest({
    method: 'POST',
    url: `https://fencer.example/api${path}`,
    headers,
    ...(body === undefined ? {} : { body: { string: text } }),
  });
}

const actionsOf = (response: HttpResponseInit) =>
  (JSON.parse(String(response.body)) as RelayPollAnswer).actions;

describe('Functions adapters: pull relay routes', () => {
  it('an action issued on another instance reaches the waiting poll within 250 ms; the answer goes back', async () => {
    const latencies: number[] = [];
    for (let round = 0; round < 5; round++) {
      // Prepare
      const waiting = apiHandler(
        relayRequest('site1', '/v1/relays/site1/poll?waitSeconds=10'),
        context(),
      );
      await new Promise((r) => setTimeout(r, 150 + round * 40));

      // Act
      const issuedAt = performance.now();
      const driver = await worker.drivers.get(setup.deviceOf('b'));
      const pending = driver.powerState(target('b'), new AbortController().signal);
      const polled = await waiting;
      latencies.push(performance.now() - issuedAt);
      const action = actionsOf(polled)[0];
      if (!action) throw new Error('no action');
      const request = await verifyPulled(action, 'site1', setup.relayKey('site1'));
      const posted = await apiHandler(
        relayRequest('site1', '/v1/relays/site1/results', answerTo(request, 'off')),
        context(),
      );

      // Assess
      expect(polled.status).toBe(200);
      expect(posted.status).toBe(204);
      expect(await pending).toBe('off');
    }
    console.log(
      `pull delivery across instances: ${latencies.map((l) => l.toFixed(0)).join(', ')} ms`,
    );
    // DESIGN's 250 ms, held by the median: one round on a loaded 2-core CI machine may lose
    // the processor for longer (the bench measures the distribution on a quiet one).
    const sorted = [...latencies].sort((a, b) => a - b);
    expect(sorted[2]).toBeLessThan(250);
    expect(sorted[4]).toBeLessThan(1_000);
  });

  it('a relay holds one poll: a newer one, on another instance or this one, ends the older at once', async () => {
    const poll = (wait: number) =>
      apiHandler(relayRequest('site2', `/v1/relays/site2/poll?waitSeconds=${wait}`), context());
    // Prepare
    const first = poll(20);
    await new Promise((r) => setTimeout(r, 200));

    // Act: the same relay polls through another instance, then twice through this one.
    let at = performance.now();
    const elsewhere = worker.relayMailbox.poll('site2', 1_000);
    const firstAnswer = await first;
    const firstEndedAfter = performance.now() - at;
    await elsewhere;
    const third = poll(20);
    await new Promise((r) => setTimeout(r, 200));
    at = performance.now();
    const [thirdAnswer] = await Promise.all([third, poll(0)]);
    const thirdEndedAfter = performance.now() - at;

    // Assess
    expect(firstAnswer.status).toBe(200);
    expect(actionsOf(firstAnswer)).toEqual([]);
    expect(firstEndedAfter).toBeLessThan(500);
    expect(actionsOf(thirdAnswer)).toEqual([]);
    expect(thirdEndedAfter).toBeLessThan(500);
  });

  it('refuses a node key (403) and an answer to an action never issued to the relay (404)', async () => {
    // Act
    const text = '';
    const nodeHeaders = signRequest({
      keyId: 'pc/a',
      secret: setup.secret('pc/a'),
      method: 'POST',
      pathWithQuery: '/v1/relays/site1/poll',
      body: text,
      nowMs: Date.now(),
    });
    const nodePoll = await apiHandler(
      new HttpRequest({
        method: 'POST',
        url: 'https://fencer.example/api/v1/relays/site1/poll',
        headers: nodeHeaders,
      }),
      context(),
    );
    const unknown = await apiHandler(
      relayRequest('site1', '/v1/relays/site1/results', {
        requestId: 'never-issued',
        status: 502,
        problem: { code: 'execution-failed', detail: 'x' },
      }),
      context(),
    );

    // Assess
    expect(nodePoll.status).toBe(403);
    expect(JSON.parse(String(nodePoll.body))).toMatchObject({ code: 'forbidden' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(String(unknown.body))).toMatchObject({ code: 'not-found' });
  });
});
