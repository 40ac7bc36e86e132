import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/apiClient.ts';
import { type LocalHost, startLocalHost } from '../../cli/localHost.ts';
import { signRequest } from '../../core/auth/signing.ts';
import { type Clock, systemClock } from '../../core/clock.ts';
import { silentLog } from '../../core/log.ts';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';

/**
 * Reporters whose clocks disagree with the server's: ±301 s is stale or from the future and
 * refused, ±299 s is fresh and counts, over real HTTP. With quorum 2, the refused reporters'
 * words never count towards the fence; the two fresh ones, 598 s apart, fence the target.
 */
const setup = writeTestConfig({
  skew: {
    options: { quorum: 2 },
    nodes: { ahead301: {}, behind301: {}, ahead299: {}, behind299: {}, target: {} },
  },
});
/**
 * While a signed request is in flight, the server's clock and the reporters' clocks read one
 * pinned instant (each plus its own error), so time spent in transit on a busy machine cannot
 * turn 301 s into 300 s. `serverOffsetMs` is the server's own error: it ages a request.
 */
let pinnedAt: number | undefined;
let serverOffsetMs = 0;
const base = () => pinnedAt ?? Date.now();
async function pinned<T>(at: number, send: () => Promise<T>): Promise<T> {
  pinnedAt = at;
  try {
    return await send();
  } finally {
    pinnedAt = undefined;
  }
}
let host: LocalHost;

beforeAll(async () => {
  host = await startLocalHost({
    loaded: setup.loaded,
    log: silentLog,
    port: 0,
    drainMs: 2_000,
    clock: { now: () => base() + serverOffsetMs, sleep: systemClock.sleep },
  });
});
afterAll(() => host?.stop());

const skewed = (ms: number): Clock => ({ now: () => base() + ms, sleep: systemClock.sleep });
const reporter = (node: string, skewMs: number) =>
  new ApiClient({
    url: host.url,
    keyId: `skew/${node}`,
    secret: setup.secret(`skew/${node}`),
    clock: skewed(skewMs),
  });
const report = (node: string, skewMs: number) =>
  pinned(Date.now(), () =>
    reporter(node, skewMs).request('POST', '/v1/clusters/skew/reports', { target: 'target' }),
  );

async function targetState(): Promise<string | undefined> {
  const view = (await setup.client(host.url, 'admin/ops').request('GET', '/v1/clusters/skew'))
    .body as ClusterView;
  return view.nodes.find((n) => n.name === 'target')?.state;
}

describe('clock skew between reporters', () => {
  it('refuses ±301 s, accepts ±299 s, and only the accepted reports count towards quorum', async () => {
    // Act + Assess: the stale and the future reporter are refused before anything is decided.
    for (const [node, skew] of [
      ['ahead301', 301_000],
      ['behind301', -301_000],
    ] as const) {
      const answer = await report(node, skew);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 'unauthenticated' });
      expect((answer.body as { detail: string }).detail).toMatch(/timestamp is 30[0-2] s away/);
    }
    expect(await targetState()).toBe('member');

    // One fresh report (299 s behind): recorded, waiting for a second reporter.
    const first = await report('behind299', -299_000);
    expect(first.status).toBe(202);
    const id = (first.body as Incident).incidentId;
    expect(first.body).toMatchObject({ state: 'pending', reporters: ['behind299'] });
    // The stale reporters still cannot make up the quorum.
    expect((await report('ahead301', 301_000)).status).toBe(401);
    expect((await report('behind301', -301_000)).status).toBe(401);
    expect(await targetState()).toBe('suspected');

    // A second fresh report (299 s ahead, 598 s from the first reporter's clock): quorum.
    const second = await report('ahead299', 299_000);
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ incidentId: id, reporters: ['behind299', 'ahead299'] });
    const done = (
      await reporter('ahead299', 299_000).request(
        'GET',
        `/v1/clusters/skew/incidents/${id}?waitSeconds=20`,
      )
    ).body as Incident;
    expect(done).toMatchObject({ state: 'fenced', reporters: ['behind299', 'ahead299'] });
  });

  it('a request that goes stale in transit is refused without using up its nonce', async () => {
    // Prepare: signed 299 s in the past, exactly as a slow client would have sent it.
    const sentAt = Date.now();
    const path = '/v1/clusters/skew/reports';
    const body = JSON.stringify({ target: 'target', reason: 'late' });
    const headers = signRequest({
      keyId: 'skew/behind299',
      secret: setup.secret('skew/behind299'),
      method: 'POST',
      pathWithQuery: path,
      body,
      nowMs: sentAt - 299_000,
    });
    const send = () =>
      pinned(sentAt, async () => {
        const response = await fetch(`${host.url}${path}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body,
        });
        return { status: response.status, body: (await response.json()) as { code?: string } };
      });

    // Act + Assess: 2 s later on the server's clock it is 301 s old: stale, not a replay.
    serverOffsetMs = 2_000;
    const late = await send();
    serverOffsetMs = 0;
    expect(late).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
    // The same bytes within the window are fresh (the refusal did not consume the nonce)...
    expect((await send()).status).toBe(200);
    // ...and once accepted, they are a replay.
    expect(await send()).toMatchObject({ status: 401, body: { code: 'replayed' } });
  });
});
