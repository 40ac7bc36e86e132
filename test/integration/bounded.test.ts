import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/** DESIGN "Local host": connections and in-flight requests are bounded, slow clients time out. */
const setup = writeTestConfig({
  cap: { options: { quorum: 2, quorumWindowSeconds: 60 }, nodes: { a: {}, b: {}, c: {} } },
});
let host: LocalHost;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'bounded', {
    limits: { maxInFlight: 3, maxConnections: 8, headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 },
  });
});
afterAll(() => host?.stop());

describe('a bounded local host', () => {
  it('answers 503 unavailable with Retry-After past the in-flight cap, and serves again after', async () => {
    // Prepare: three long-polls on a pending incident fill the cap.
    const a = setup.client(host.url, 'cap/a');
    const opened = await a.request('POST', '/v1/clusters/cap/reports', { target: 'c' });
    const id = (opened.body as Incident).incidentId;
    const waiting = Array.from({ length: 3 }, () =>
      a.request('GET', `/v1/clusters/cap/incidents/${id}?waitSeconds=2`),
    );
    await new Promise((r) => setTimeout(r, 300));

    // Act
    const refused = await a.request('GET', '/v1/clusters/cap');

    // Assess
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'unavailable' });
    expect(refused.headers.get('retry-after')).toBe('1');
    for (const answer of await Promise.all(waiting)) expect(answer.status).toBe(200);
    expect((await a.request('GET', '/v1/clusters/cap')).status).toBe(200);
  });

  it('closes a connection that does not send its headers in time', async () => {
    const port = Number(new URL(host.url).port);
    const socket = connect(port, '127.0.0.1');
    socket.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n'); // never finishes the headers
    const started = Date.now();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('closes connections past maxConnections at once', async () => {
    const port = Number(new URL(host.url).port);
    const sockets = Array.from({ length: 12 }, () => connect(port, '127.0.0.1'));
    const closed = await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 500);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
      ),
    );
    expect(closed.filter(Boolean).length).toBeGreaterThanOrEqual(4);
    for (const socket of sockets) socket.destroy();
  });
});
