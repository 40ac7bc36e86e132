import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { canonicalString, signatureOf, signRequest } from '../../../core/auth/signing.ts';
import {
  MemoryNonceStore,
  type SignedRequest,
  verifySignedRequest,
} from '../../../core/auth/verify.ts';

const secret = 'q7m1WgQm0B1cJx8nY6m3c8zH4b9v1uT2pQ5rS7tU9wE=';
const now = 1_795_000_000_000;

function signed(
  overrides: Partial<{
    method: string;
    path: string;
    body: string;
    at: number;
    nonce: string;
    secret: string;
  }> = {},
): SignedRequest {
  const method = overrides.method ?? 'POST';
  const path = overrides.path ?? '/v1/clusters/prod/reports';
  const body = overrides.body ?? '{"target":"b"}';
  const headers = signRequest({
    keyId: 'prod/a',
    secret: overrides.secret ?? secret,
    method,
    pathWithQuery: path,
    body,
    nowMs: overrides.at ?? now,
    ...(overrides.nonce ? { nonce: overrides.nonce } : {}),
  });
  return { method, pathWithQuery: path, headers, body: Buffer.from(body) };
}

const verify = (request: SignedRequest, nonces = new MemoryNonceStore(() => now)) =>
  verifySignedRequest(request, {
    nowMs: now,
    secretOf: (k) => (k === 'prod/a' ? secret : undefined),
    nonces,
  });

describe('request signing (DESIGN.md)', () => {
  it('is reproducible with openssl dgst -hmac, as the contract promises', () => {
    // Prepare
    const canonical = canonicalString({
      timestamp: '1795000000',
      nonce: 'abcdefghijklmnop',
      method: 'post',
      pathWithQuery: '/v1/clusters/prod/reports?x=1',
      body: '{"target":"b"}',
    });
    // Act
    const ours = signatureOf(secret, canonical);
    const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], {
      input: canonical,
    }).toString();
    // Assess
    expect(canonical.split('\n').slice(0, 4)).toEqual([
      '1795000000',
      'abcdefghijklmnop',
      'POST',
      '/v1/clusters/prod/reports?x=1',
    ]);
    expect(ours).toBe(`v1=${openssl.trim().split(' ').at(-1)}`);
  });

  it('accepts a good signature and names the key', async () => {
    expect(await verify(signed())).toBe('prod/a');
  });

  it.each([
    ['a wrong secret', () => signed({ secret: 'x'.repeat(44) })],
    ['a changed body', () => ({ ...signed(), body: Buffer.from('{"target":"c"}') })],
    ['a changed path', () => ({ ...signed(), pathWithQuery: '/v1/clusters/prod/reports?limit=1' })],
    ['a changed method', () => ({ ...signed(), method: 'PUT' })],
    ['a timestamp 301 s old', () => signed({ at: now - 301_000 })],
    ['a timestamp 301 s ahead', () => signed({ at: now + 301_000 })],
    [
      'an unknown key',
      () => ({ ...signed(), headers: { ...signed().headers, 'x-fencer-key': 'prod/zz' } }),
    ],
    [
      'a missing signature',
      () => ({ ...signed(), headers: { ...signed().headers, 'x-fencer-signature': undefined } }),
    ],
    ['a short nonce', () => signed({ nonce: 'short' })],
  ])('refuses %s as unauthenticated', async (_name, make) => {
    await expect(verify(make())).rejects.toMatchObject({
      problem: { code: 'unauthenticated', status: 401 },
    });
  });

  it('accepts a timestamp 299 s away', async () => {
    expect(await verify(signed({ at: now - 299_000 }))).toBe('prod/a');
  });

  it('refuses a replayed POST but lets a GET repeat', async () => {
    const nonces = new MemoryNonceStore(() => now);
    const post = signed();
    await verify(post, nonces);
    await expect(verify(post, nonces)).rejects.toMatchObject({ problem: { code: 'replayed' } });
    const get = signed({ method: 'GET', body: '' });
    await verify(get, nonces);
    expect(await verify(get, nonces)).toBe('prod/a');
  });
});
