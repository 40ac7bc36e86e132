import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signRequest } from '../../core/auth/signing.ts';
import { decodeMessage } from '../../core/ledger/fenceQueue.ts';
import { clientsFromConnectionString, storageNames } from '../../core/ledger/storage.ts';
import type { Incident } from '../../core/protocol/api.ts';
import type { ReadinessView } from '../../core/protocol/readiness.ts';
import { apiHandler } from '../../functions/api.ts';
import { getRuntime, resetRuntime } from '../../functions/deps.ts';
import { fencePoisonHandler, fenceWorkerHandler } from '../../functions/fenceWorker.ts';
import { readinessHandler } from '../../functions/readiness.ts';
import { sweeperHandler } from '../../functions/sweeper.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';

const setup = writeTestConfig({
  fx: { nodes: { a: {}, b: {}, c: {} } },
  fq: { options: { quorum: 2, quorumWindowSeconds: 1 }, nodes: { a: {}, b: {}, c: {} } },
});
const prefix = uniquePrefix('functions');
const saved = { ...process.env };

beforeAll(() => {
  Object.assign(process.env, setup.env, {
    FENCER_CONFIG: setup.file,
    AzureWebJobsStorage: inject('azurite'),
    FENCER_STORAGE_PREFIX: prefix,
  });
  resetRuntime();
});
afterAll(() => {
  process.env = saved;
  resetRuntime();
});

function request(method: 'GET' | 'POST', path: string, body?: unknown, keyId = 'fx/a') {
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers = signRequest({
    keyId,
    secret: setup.secret(keyId),
    method,
    pathWithQuery: path,
    body: text,
    nowMs: Date.now(),
  });
  return new HttpRequest({
    method,
    url: `https://fencer.example/api${path}`,
    headers,
    ...(body === undefined ? {} : { body: { string: text } }),
  });
}

const context = () => new InvocationContext({ functionName: 'test', invocationId: 'inv-1' });
const queue = () => clientsFromConnectionString(inject('azurite'), storageNames(prefix)).queue;

async function takeMessage() {
  const { receivedMessageItems } = await queue().receiveMessages({ numberOfMessages: 1 });
  const item = receivedMessageItems[0];
  if (!item) throw new Error('no fence message');
  await queue().deleteMessage(item.messageId, item.popReceipt);
  return item.messageText;
}

describe('Azure Functions adapters', () => {
  it('serves health and the report route through HttpRequest', async () => {
    const health = await apiHandler(
      new HttpRequest({ method: 'GET', url: 'https://fencer.example/api/v1/health' }),
      context(),
    );
    expect(health.status).toBe(200);
    const answer = await apiHandler(
      request('POST', '/v1/clusters/fx/reports', { target: 'b' }),
      context(),
    );
    expect(answer.status).toBe(202);
    expect(answer.headers).toMatchObject({
      location: expect.stringMatching(/^\/api\/v1\/clusters\/fx\/incidents\//),
    });
    expect(JSON.parse(String(answer.body))).toMatchObject({ state: 'fencing', target: 'b' });
  });

  it('runs the queued fence in the queue-trigger handler', async () => {
    const text = await takeMessage();
    // The host hands the trigger the decoded JSON object.
    await fenceWorkerHandler(JSON.parse(Buffer.from(text, 'base64').toString('utf8')), context());
    const { incidentId } = decodeMessage(text);
    const answer = await apiHandler(
      request('GET', `/v1/clusters/fx/incidents/${incidentId}`),
      context(),
    );
    expect(JSON.parse(String(answer.body))).toMatchObject({
      state: 'fenced',
      attempts: [{ outcome: 'off' }],
    });
  });

  it('ends the incident failed when its message is poison', async () => {
    const answer = await apiHandler(
      request('POST', '/v1/clusters/fx/reports', { target: 'c' }, 'fx/a'),
      context(),
    );
    const incident = JSON.parse(String(answer.body)) as Incident;
    // b is fenced; a stays a member, so minSurvivors 1 still lets c be fenced.
    expect(answer.status).toBe(202);
    await fencePoisonHandler(decodeMessage(await takeMessage()), context());
    const after = await apiHandler(
      request('GET', `/v1/clusters/fx/incidents/${incident.incidentId}`),
      context(),
    );
    expect(JSON.parse(String(after.body))).toMatchObject({
      state: 'failed',
      refusal: { code: 'fence-failed' },
    });
  });

  it('runs the sweeper from the timer trigger: a pending incident past its quorum window ends', async () => {
    const answer = await apiHandler(
      request('POST', '/v1/clusters/fq/reports', { target: 'c' }, 'fq/a'),
      context(),
    );
    const incident = JSON.parse(String(answer.body)) as Incident;
    expect(incident.state).toBe('pending');
    await new Promise((r) => setTimeout(r, 1100));
    const timer = {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: '', next: '', lastUpdated: '' },
    };
    await sweeperHandler(timer, context());
    // Read the entity the sweeper projected (no API call, which would itself apply the expiry).
    const runtime = await getRuntime();
    expect(await runtime.incidents.get('fq', incident.incidentId)).toMatchObject({
      state: 'refused',
      refusal: { code: 'quorum-not-reached' },
    });
  });

  it('runs the readiness checks from the timer trigger and serves them on the readiness route', async () => {
    const timer = {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: '', next: '', lastUpdated: '' },
    };
    await readinessHandler(timer, context());
    const answer = await apiHandler(request('GET', '/v1/clusters/fx/readiness'), context());
    expect(answer.status).toBe(200);
    const view = JSON.parse(String(answer.body)) as ReadinessView;
    expect(view.nodes.map((n) => [n.name, n.readiness])).toEqual([
      ['a', 'ready'],
      ['b', 'ready'],
      ['c', 'ready'],
    ]);
  });
});
