import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noncePattern, canonicalString as serverCanonical } from '../../../core/auth/signing.ts';
import { MemoryNonceStore, verifySignedRequest } from '../../../core/auth/verify.ts';
import { canonicalString, newNonce, signRequest } from '../../../ui/src/api/signing.ts';

/**
 * The dashboard signs in the page (Web Crypto); the server verifies with node:crypto. Both must
 * build the same canonical string, or every call of the page is a 401.
 */
const secret = 'dGhpcyBpcyBub3QgYSByZWFsIGtleSBidXQgMzIgYnl0ZXM=';
const now = 1_795_000_000_000;

/** What a host hands the verifier: lower-case header names, the path as sent, the body bytes. */
async function verify(
  signed: Record<string, string>,
  request: { method: string; pathWithQuery: string; body: string },
  keySecret = secret,
) {
  const headers = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v]));
  return verifySignedRequest(
    { ...request, headers, body: new TextEncoder().encode(request.body) },
    {
      nowMs: now,
      secretOf: (k) => (k === 'viewer/noc' ? keySecret : undefined),
      nonces: new MemoryNonceStore(() => now),
    },
  );
}

const paths = [
  '/v1/clusters',
  '/v1/clusters/prod-db',
  '/v1/clusters/prod-db/incidents?limit=200',
  '/v1/clusters/prod-db/incidents/0mx21qzwu-370163ae?waitSeconds=20',
  '/v1/clusters/a.b_c-d/incidents?limit=5&x=%2F%20y',
  '/v1/clusters/prod-db/nodes/node-b/unfence',
];

describe("the page's signing against the server's verifier", () => {
  it('builds the canonical string the server builds, for paths with and without queries', async () => {
    for (const pathWithQuery of paths) {
      for (const [method, body] of [
        ['GET', ''],
        ['POST', '{"powerOn":true}'],
      ] as const) {
        // Prepare
        const parts = {
          timestamp: '1795000000',
          nonce: 'n'.repeat(32),
          method,
          pathWithQuery,
          body,
        };
        // Act
        const page = await canonicalString(parts);
        // Assess
        expect(page).toBe(serverCanonical(parts));
      }
    }
  });

  it('signs requests the server accepts, for every route the page calls', async () => {
    for (const pathWithQuery of paths) {
      const method = pathWithQuery.endsWith('/unfence') ? 'POST' : 'GET';
      const body = method === 'POST' ? '{}' : '';
      const signed = await signRequest({
        keyId: 'viewer/noc',
        secret,
        method,
        pathWithQuery,
        body,
        nowMs: now,
      });
      expect(await verify(signed, { method, pathWithQuery, body })).toBe('viewer/noc');
    }
  });

  it('agrees with the server on any path, query and body (property)', async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~%-]{1,20}$/);
    const query = fc.array(fc.tuple(segment, fc.string({ maxLength: 12 })), { maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        query,
        fc.string({ maxLength: 200 }),
        fc.constantFrom('GET', 'POST', 'get'),
        async (segments, pairs, body, method) => {
          const search = new URLSearchParams(pairs).toString();
          const pathWithQuery = `/v1/${segments.join('/')}${search ? `?${search}` : ''}`;
          const signed = await signRequest({
            keyId: 'viewer/noc',
            secret,
            method,
            pathWithQuery,
            body,
            nowMs: now,
          });
          expect(await verify(signed, { method, pathWithQuery, body })).toBe('viewer/noc');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is refused with a wrong secret, or when the query is changed after signing', async () => {
    const request = { method: 'GET', pathWithQuery: '/v1/clusters/p/incidents?limit=5', body: '' };
    const signed = await signRequest({ keyId: 'viewer/noc', secret, ...request, nowMs: now });
    await expect(verify(signed, request, `${secret}x`)).rejects.toMatchObject({
      problem: { code: 'unauthenticated' },
    });
    await expect(
      verify(signed, { ...request, pathWithQuery: '/v1/clusters/p/incidents?limit=6' }),
    ).rejects.toMatchObject({ problem: { code: 'unauthenticated' } });
  });

  it('uses a fresh nonce of the allowed alphabet for every request', async () => {
    const nonces = new Set(Array.from({ length: 100 }, () => newNonce()));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(nonce).toMatch(noncePattern);
    const a = await signRequest({
      keyId: 'viewer/noc',
      secret,
      method: 'GET',
      pathWithQuery: '/v1/clusters',
      nowMs: now,
    });
    const b = await signRequest({
      keyId: 'viewer/noc',
      secret,
      method: 'GET',
      pathWithQuery: '/v1/clusters',
      nowMs: now,
    });
    expect(a['X-Fencer-Nonce']).not.toBe(b['X-Fencer-Nonce']);
    expect(a['X-Fencer-Signature']).not.toBe(b['X-Fencer-Signature']);
    expect(a['X-Fencer-Signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  });
});
