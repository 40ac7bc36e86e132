import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import { handleApiRequest } from '../../core/api/router.ts';
import { signRequest } from '../../core/auth/signing.ts';
import type { ClusterView } from '../../core/protocol/api.ts';
import { problemStatus } from '../../core/protocol/problems.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * Generated requests against the API: methods, paths (percent-encoding, `..`, long segments,
 * unicode), headers (missing, garbled, huge), bodies (random JSON, extra fields, wrong types,
 * raw bytes, other encodings, sizes around 16 KiB), some correctly signed. Whatever comes in:
 * never a 5xx, every error is problem+json with a known code, and nothing is fenced.
 * Valid reports are never generated (they are supposed to fence).
 */
const setup = writeTestConfig({
  prod: { nodes: { a: {}, b: {}, c: {} } },
  other: { nodes: { x: {}, y: {} } },
});
const nodes = { prod: ['a', 'b', 'c'], other: ['x', 'y'] } as const;
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'fuzzhttp');
});
afterAll(() => host?.stop());

/** Each route with its method: most generated requests start from one, then get mangled. */
const routes = [
  ['GET', '/v1/health'],
  ['GET', '/v1/clusters/prod'],
  ['POST', '/v1/clusters/prod/reports'],
  ['POST', '/v1/clusters/prod/reports'],
  ['GET', '/v1/clusters/prod/incidents'],
  ['GET', '/v1/clusters/prod/incidents/0000000aa-deadbeef'],
  ['POST', '/v1/clusters/prod/nodes/b/unfence'],
  ['POST', '/v1/clusters/other/reports'],
  ['POST', '/v1/clusters/nope/reports'],
] as const;
const segment = fc.oneof(
  fc.constantFrom('..', '.', '', '%2e%2e', '%2F', '%', '%zz', '%E0%A4', '%00', '%C0%AF', 'prod'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer({ min: 200, max: 5000 }).map((n) => 'x'.repeat(n)),
);
const query = fc.oneof(
  fc.constantFrom('waitSeconds=0', 'waitSeconds=121', 'waitSeconds=-1', 'waitSeconds=1e2'),
  fc.constantFrom('limit=0', 'limit=abc', 'limit=999999999', 'limit=5&limit=6', '%zz=%'),
  fc.string({ maxLength: 40 }),
);
const pathOf = (route: string) =>
  fc
    .oneof(
      { weight: 4, arbitrary: fc.constant(route) },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.nat(5), segment).map(([i, s]) => {
          const parts = route.split('/');
          parts[1 + (i % (parts.length - 1))] = s;
          return parts.join('/');
        }),
      },
      fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
    )
    .chain((p) => fc.option(query, { freq: 4 }).map((q) => (q === null ? p : `${p}?${q}`)));
const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'),
  fc.constantFrom('get', 'post', 'PROPFIND', 'G E T', 'P\u00d6ST'),
  fc.stringMatching(/^[A-Z]{1,10}$/),
);

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const reportish = fc.record(
  {
    target: fc.constantFrom('a', 'b', 'c', 'x', 'zz', ''),
    reason: fc.string({ maxLength: 40 }),
    eventId: fc.oneof(fc.constantFrom('ev-1', 'has space', ''), fc.string({ maxLength: 20 })),
  },
  { requiredKeys: [] },
);
/** A report of exactly `size` bytes (its reason padded), for the 16 KiB edge. */
const sized = (size: number) => {
  const stem = JSON.stringify({ target: 'b', reason: '' });
  return utf8(JSON.stringify({ target: 'b', reason: 'r'.repeat(Math.max(0, size - stem.length)) }));
};
/** A valid report with one thing wrong: the inputs closest to being acted on. */
const nearlyValid = fc
  .tuple(
    fc.record(
      {
        target: fc.constantFrom('b', 'c'),
        reason: fc.string({ maxLength: 40 }),
        eventId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/),
      },
      { requiredKeys: ['target'] },
    ),
    fc.oneof(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue(), { minKeys: 1 }),
      fc.constantFrom(
        { reporter: 'c' },
        { target: null },
        { target: ['b'] },
        { target: 'b'.repeat(129) },
        { reason: 'r'.repeat(513) },
        { reason: 7 },
        { eventId: 'has space' },
        { eventId: 'e'.repeat(129) },
        { eventId: '' },
      ),
    ),
  )
  .map(([report, wrong]) => ({ ...report, ...wrong }));
const body = fc.oneof(
  fc.constant(new Uint8Array()),
  { weight: 3, arbitrary: nearlyValid.map((r) => utf8(JSON.stringify(r))) },
  fc.json().map(utf8),
  reportish.map((r) => utf8(JSON.stringify(r))),
  fc
    .tuple(reportish, fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue(), { minKeys: 1 }))
    .map(([r, extra]) => utf8(JSON.stringify({ ...extra, ...r, ...extra }))),
  fc
    .oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object())
    .map((target) => utf8(JSON.stringify({ target }))),
  fc.uint8Array({ maxLength: 300 }),
  fc
    .tuple(reportish, fc.constantFrom('utf16le', 'latin1', 'bom'))
    .map(([r, enc]) =>
      enc === 'bom'
        ? utf8(`\ufeff${JSON.stringify(r)}`)
        : new Uint8Array(Buffer.from(JSON.stringify({ ...r, reason: 'é€' }), enc)),
    ),
  fc.integer({ min: 16 * 1024 - 24, max: 16 * 1024 + 24 }).map(sized),
);

/**
 * DESIGN.md's report body, written out here (not the product's schema, which a bug could
 * loosen): such a body must not be generated, since it is supposed to fence.
 */
function isValidReport(bytes: Uint8Array): boolean {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { target, reason, eventId, ...rest } = value as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 &&
    typeof target === 'string' &&
    target.length >= 1 &&
    target.length <= 128 &&
    (reason === undefined || (typeof reason === 'string' && reason.length <= 512)) &&
    (eventId === undefined ||
      (typeof eventId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(eventId)))
  );
}

const headerValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('', 'v1=', 'v1=00', 'prod/a', 'admin/ops', '0', '99999999999999'),
  fc.integer({ min: 4_000, max: 20_000 }).map((n) => 'A'.repeat(n)),
);
const signing = fc.oneof(fc.record({ kind: fc.constant('none' as const) }), {
  weight: 4,
  arbitrary: fc.record({
    kind: fc.constant('signed' as const),
    keyId: fc.constantFrom('prod/a', 'prod/b', 'prod/a', 'other/x', 'admin/ops'),
    skew: fc.integer({ min: -290_000, max: 290_000 }),
    garble: fc.option(
      fc.tuple(
        fc.constantFrom(
          'x-fencer-key',
          'x-fencer-timestamp',
          'x-fencer-nonce',
          'x-fencer-signature',
        ),
        fc.option(headerValue),
      ),
      { freq: 3 },
    ),
  }),
});
const extraHeaders = fc.dictionary(
  fc.constantFrom('content-type', 'content-encoding', 'accept', 'x-forwarded-for', 'x-junk'),
  headerValue,
  { maxKeys: 3 },
);
const request = fc
  .constantFrom(...routes)
  .chain(([routeMethod, route]) =>
    fc.record({
      method: fc.oneof({ weight: 3, arbitrary: fc.constant(routeMethod) }, method),
      path: pathOf(route),
      body,
      signing,
      extra: extraHeaders,
    }),
  )
  .filter((r) => !isValidReport(r.body));
type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;

/** The request's headers (lower-case names), signed over exactly the method, path and bytes sent. */
function headersOf(r: Generated): Record<string, string> {
  const headers: Record<string, string> = { ...r.extra };
  if (r.signing.kind === 'none') return headers;
  Object.assign(
    headers,
    signRequest({
      keyId: r.signing.keyId,
      secret: setup.secret(r.signing.keyId),
      method: r.method,
      pathWithQuery: r.path,
      body: r.body,
      nowMs: Date.now() + r.signing.skew,
    }),
  );
  const [name, value] = r.signing.garble ?? [];
  if (name && value === null) delete headers[name];
  else if (name && typeof value === 'string') headers[name] = value;
  return headers;
}

function assessAnswer(status: number, type: string, text: string, method: string): void {
  expect(status).toBeGreaterThanOrEqual(200);
  expect(status).toBeLessThan(500);
  // A report is never accepted (no valid one is generated).
  expect(status).not.toBe(202);
  if (status < 400) return;
  expect(type).toContain('application/problem+json');
  if (method.toUpperCase() === 'HEAD') return;
  const problem = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(problemStatus)).toContain(problem.code);
  expect(problemStatus[problem.code as keyof typeof problemStatus]).toBe(status);
  expect(problem).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
}

/** Sends exactly these bytes over TCP (no client-side checks) and parses the one answer. */
function sendRaw(bytes: Buffer): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(host.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer within 15 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      const head = raw.slice(0, end).split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head[0] ?? '')?.[1] ?? 0);
      const type = head.find((h) => /^content-type:/i.test(h))?.replace(/^[^:]*:\s*/, '') ?? '';
      resolve({ status, type, text: Buffer.from(raw.slice(end + 4), 'latin1').toString('utf8') });
    });
    socket.write(bytes);
  });
}

function rawRequest(r: Generated): Buffer {
  const lines = [`${r.method} /api${r.path} HTTP/1.1`, `host: 127.0.0.1:${host.port}`];
  for (const [name, value] of Object.entries(headersOf(r)))
    lines.push(`${name}: ${value.replace(/[\r\n]/g, ' ')}`);
  lines.push('connection: close', `content-length: ${r.body.byteLength}`, '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), r.body]);
}

describe('generated requests never answer 5xx and never fence', () => {
  it('through the host-agnostic handler (what the Functions adapter hands in)', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const answer = await handleApiRequest(host.runtime, {
          method: r.method,
          pathWithQuery: r.path,
          headers: headersOf(r),
          body: r.body,
        });
        const type = answer.headers['content-type'] ?? '';
        assessAnswer(answer.status, type, JSON.stringify(answer.body ?? null), r.method);
      }),
      { numRuns: 1000 },
    );
  });

  it('through the local host over real HTTP, bytes as generated', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const answer = await sendRaw(rawRequest(r));
        assessAnswer(answer.status, answer.type, answer.text, r.method);
      }),
      { numRuns: 500 },
    );
  });

  it('left every node a member, no incident opened, no power-off sent', async () => {
    // Give a fence that was wrongly queued the time to reach its driver.
    await new Promise((r) => setTimeout(r, 500));
    const admin = setup.client(host.url, 'admin/ops');
    for (const [cluster, names] of Object.entries(nodes)) {
      const view = (await admin.request('GET', `/v1/clusters/${cluster}`)).body as ClusterView;
      expect(view.nodes.map((n) => n.state)).toEqual(names.map(() => 'member'));
      const list = await admin.request('GET', `/v1/clusters/${cluster}/incidents`);
      expect(list.body).toEqual({ incidents: [] });
      for (const node of names) {
        const file = setup.statusFile(cluster, node);
        if (existsSync(file)) expect(JSON.parse(readFileSync(file, 'utf8')).powerOffCalls).toBe(0);
      }
    }
  });
});
