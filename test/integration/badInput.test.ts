import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import { signRequest } from '../../core/auth/signing.ts';
import type { ClusterView } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

const setup = writeTestConfig({
  prod: { nodes: { a: {}, b: {}, c: {} } },
  other: { nodes: { x: {}, y: {} } },
});
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'badinput');
});
afterAll(() => host?.stop());

interface Raw {
  method?: string;
  path?: string;
  body?: string;
  keyId?: string;
  secret?: string;
  skew?: number;
  headers?: Record<string, string | undefined>;
  nonce?: string;
}

/** Sends exactly the bytes given, signed (or mis-signed) as asked. */
async function send(raw: Raw) {
  const method = raw.method ?? 'POST';
  const path = raw.path ?? '/v1/clusters/prod/reports';
  const body = raw.body ?? '';
  const keyId = raw.keyId ?? 'prod/a';
  const signed = signRequest({
    keyId,
    secret: raw.secret ?? setup.secret(keyId),
    method,
    pathWithQuery: path,
    body,
    nowMs: Date.now() + (raw.skew ?? 0),
    ...(raw.nonce ? { nonce: raw.nonce } : {}),
  });
  const headers = Object.fromEntries(
    Object.entries({ ...signed, 'content-type': 'application/json', ...raw.headers }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as Record<string, string>;
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers,
    ...(method === 'GET' ? {} : { body }),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const report = JSON.stringify({ target: 'b' });

describe('bad input never fences and never answers 5xx', () => {
  const cases: [string, () => Raw, number, string][] = [
    ['malformed JSON', () => ({ body: '{"target": "b"' }), 400, 'invalid-request'],
    [
      'an unknown field',
      () => ({ body: JSON.stringify({ target: 'b', reporter: 'c' }) }),
      400,
      'invalid-request',
    ],
    ['a missing target', () => ({ body: '{}' }), 400, 'invalid-request'],
    [
      'a reason over 512 chars',
      () => ({ body: JSON.stringify({ target: 'b', reason: 'x'.repeat(513) }) }),
      400,
      'invalid-request',
    ],
    [
      'a bad eventId',
      () => ({ body: JSON.stringify({ target: 'b', eventId: 'has space' }) }),
      400,
      'invalid-request',
    ],
    ['a JSON array', () => ({ body: '[]' }), 400, 'invalid-request'],
    [
      'a body over 16 KiB',
      () => ({ body: JSON.stringify({ target: 'b', reason: 'x'.repeat(17_000) }) }),
      413,
      'payload-too-large',
    ],
    [
      'no signature headers',
      () => ({
        body: report,
        headers: { 'x-fencer-signature': undefined, 'x-fencer-key': undefined },
      }),
      401,
      'unauthenticated',
    ],
    ['a bad signature', () => ({ body: report, secret: 'A'.repeat(44) }), 401, 'unauthenticated'],
    ['a stale timestamp', () => ({ body: report, skew: -301_000 }), 401, 'unauthenticated'],
    ['a future timestamp', () => ({ body: report, skew: 301_000 }), 401, 'unauthenticated'],
    [
      'an unknown key',
      () => ({ body: report, keyId: 'prod/zz', secret: setup.secret('prod/a') }),
      401,
      'unauthenticated',
    ],
    [
      'a target of another cluster',
      () => ({ body: JSON.stringify({ target: 'x' }) }),
      403,
      'forbidden',
    ],
    ['a key of another cluster', () => ({ body: report, keyId: 'other/x' }), 403, 'forbidden'],
    ['an admin key reporting', () => ({ body: report, keyId: 'admin/ops' }), 403, 'forbidden'],
    [
      'a node key on the admin route',
      () => ({ path: '/v1/clusters/prod/nodes/b/unfence', body: '{}' }),
      403,
      'forbidden',
    ],
    ['a self-report', () => ({ body: JSON.stringify({ target: 'a' }) }), 409, 'self-report'],
    [
      'an unknown cluster (admin)',
      () => ({ method: 'GET', path: '/v1/clusters/nope', keyId: 'admin/ops' }),
      404,
      'unknown-cluster',
    ],
    [
      'an unknown incident',
      () => ({ method: 'GET', path: '/v1/clusters/prod/incidents/0000000aa-deadbeef' }),
      404,
      'not-found',
    ],
    [
      'a malformed incident id',
      () => ({ method: 'GET', path: '/v1/clusters/prod/incidents/..%2F..%2Fx' }),
      404,
      'not-found',
    ],
    [
      'waitSeconds over 120',
      () => ({
        method: 'GET',
        path: '/v1/clusters/prod/incidents/0000000aa-deadbeef?waitSeconds=121',
      }),
      400,
      'invalid-request',
    ],
    ['an unknown route', () => ({ method: 'GET', path: '/v1/nothing' }), 404, 'not-found'],
    [
      'a wrong method',
      () => ({ method: 'DELETE', path: '/v1/clusters/prod' }),
      405,
      'method-not-allowed',
    ],
  ];

  it.each(cases)('%s → %i %s', async (_name, make, status, code) => {
    const answer = await send(make());
    expect(answer.status).toBe(status);
    expect(answer.type).toContain('application/problem+json');
    expect(answer.body).toMatchObject({
      status,
      code,
      type: expect.any(String),
      title: expect.any(String),
      detail: expect.any(String),
    });
  });

  it('left every node a member: no bad input fenced anything', async () => {
    for (const cluster of ['prod', 'other']) {
      const view = (
        await send({ method: 'GET', path: `/v1/clusters/${cluster}`, keyId: 'admin/ops' })
      ).body as unknown as ClusterView;
      expect(view.nodes.every((n) => n.state === 'member')).toBe(true);
    }
  });

  it('refuses a byte-identical replay', async () => {
    const nonce = 'replay-nonce-0123456789';
    const first = await send({
      body: JSON.stringify({ target: 'b', reason: 'r' }),
      nonce,
      keyId: 'prod/c',
    });
    expect(first.status).toBe(202);
    const again = await send({
      body: JSON.stringify({ target: 'b', reason: 'r' }),
      nonce,
      keyId: 'prod/c',
    });
    expect(again).toMatchObject({ status: 401, body: { code: 'replayed' } });
  });

  it('answers health without a signature and without config or secrets', async () => {
    const response = await fetch(`${host.url}/v1/health`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ status: 'ok', version: expect.any(String) });
    expect(text).not.toContain(setup.secret('prod/a'));
  });
});
