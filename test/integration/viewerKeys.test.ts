import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/apiClient.ts';
import type { LocalHost } from '../../cli/localHost.ts';
import { systemClock } from '../../core/clock.ts';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * DESIGN "Request signing": a viewer key (`viewer/NAME`) reads every cluster and changes
 * nothing; `GET /v1/clusters` lists all clusters for viewers and admins; a key used outside its
 * routes is 403 `forbidden`.
 */
const viewerSecret = randomBytes(32).toString('base64');
const setup = writeTestConfig(
  {
    one: { nodes: { a: {}, b: {}, c: {} } },
    two: { nodes: { x: {}, y: {} } },
  },
  { viewers: { noc: { secretRef: 'env:VIEWER_NOC' } } },
  { VIEWER_NOC: viewerSecret },
);
let host: LocalHost;
let viewer: ApiClient;

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'viewers');
  viewer = new ApiClient({
    url: host.url,
    keyId: 'viewer/noc',
    secret: viewerSecret,
    clock: systemClock,
  });
});
afterAll(() => host?.stop());

describe('viewer keys', () => {
  it('reads every cluster, its incidents and an incident', async () => {
    const report = await setup
      .client(host.url, 'one/a')
      .request('POST', '/v1/clusters/one/reports', { target: 'b' });
    const id = (report.body as Incident).incidentId;
    const all = await viewer.request('GET', '/v1/clusters');
    expect(all.status).toBe(200);
    const clusters = (all.body as { clusters: ClusterView[] }).clusters;
    expect(clusters.map((c) => c.cluster)).toEqual(['one', 'two']);
    expect(clusters[1]?.nodes.map((n) => [n.name, n.state])).toEqual([
      ['x', 'member'],
      ['y', 'member'],
    ]);
    expect((await viewer.request('GET', '/v1/clusters/two')).status).toBe(200);
    expect((await viewer.request('GET', '/v1/clusters/one/incidents')).status).toBe(200);
    const incident = await viewer.request('GET', `/v1/clusters/one/incidents/${id}?waitSeconds=10`);
    expect(incident.body).toMatchObject({ incidentId: id, state: 'fenced' });
  });

  it('can change nothing: reports and unfences are 403 forbidden', async () => {
    expect(await viewer.request('POST', '/v1/clusters/two/reports', { target: 'x' })).toMatchObject(
      {
        status: 403,
        body: { code: 'forbidden' },
      },
    );
    expect(
      await viewer.request('POST', '/v1/clusters/one/nodes/b/unfence', { powerOn: true }),
    ).toMatchObject({ status: 403, body: { code: 'forbidden' } });
  });

  it('a node key cannot list every cluster; an admin key can', async () => {
    expect(await setup.client(host.url, 'two/x').request('GET', '/v1/clusters')).toMatchObject({
      status: 403,
      body: { code: 'forbidden' },
    });
    expect((await setup.client(host.url, 'admin/ops').request('GET', '/v1/clusters')).status).toBe(
      200,
    );
  });

  it('an unknown viewer, or a viewer with the wrong secret, is 401', async () => {
    const stranger = new ApiClient({
      url: host.url,
      keyId: 'viewer/nobody',
      secret: viewerSecret,
      clock: systemClock,
    });
    expect((await stranger.request('GET', '/v1/clusters')).status).toBe(401);
  });
});
