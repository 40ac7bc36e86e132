import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import { canonicalString, signatureOf } from '../../core/auth/signing.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { type Received, startWebhookReceiver } from '../support/webhookReceiver.ts';
import { startTestHost } from './localHost.ts';

/**
 * DESIGN "Notifications": signed CloudEvents through a durable outbox, at least once, never on
 * a fence's path.
 */
const hookKey = randomBytes(32).toString('base64');
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let setup: ReturnType<typeof writeTestConfig>;
let host: LocalHost;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  setup = writeTestConfig(
    {
      ev: {
        options: { maxConcurrentFences: 2, fenceDeadlineSeconds: 5, readinessIntervalSeconds: 30 },
        nodes: { a: {}, b: {}, c: { dummy: { mode: 'error' } } },
      },
      late: { options: { readinessIntervalSeconds: 0 }, nodes: { a: {}, b: {} } },
      quiet: { options: { readinessIntervalSeconds: 0 }, nodes: { a: {}, b: {}, c: {}, d: {} } },
      hung: { options: { readinessIntervalSeconds: 0 }, nodes: { a: {}, b: {}, c: {}, d: {} } },
    },
    {
      notifications: {
        oncall: {
          url: `${receiver.url}/hooks/fencer?team=ops`,
          key: { secretRef: 'env:HOOK_KEY' },
          clusters: ['ev', 'late', 'hung'],
        },
      },
    },
    { HOOK_KEY: hookKey },
  );
  host = await startTestHost(setup.loaded, 'notify', { readinessTickMs: 250 });
});
afterAll(async () => {
  await host?.stop();
  await receiver?.stop();
});

interface CloudEvent {
  specversion: string;
  id: string;
  type: string;
  source: string;
  time: string;
  data: Record<string, unknown>;
}
const events = () =>
  receiver.received.map((r) => ({ request: r, event: JSON.parse(r.body) as CloudEvent }));

async function until<T>(read: () => T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = read();
    if (ok(value) || Date.now() - started > ms) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function verifies(request: Received): boolean {
  const header = (name: string) => String(request.headers[name] ?? '');
  const canonical = canonicalString({
    timestamp: header('x-fencer-timestamp'),
    nonce: header('x-fencer-nonce'),
    method: 'POST',
    pathWithQuery: request.path,
    body: request.body,
  });
  return signatureOf(hookKey, canonical) === header('x-fencer-signature');
}

async function fence(cluster: string, target: string) {
  const a = setup.client(host.url, `${cluster}/a`);
  const answer = await a.request('POST', `/v1/clusters/${cluster}/reports`, { target });
  const id = (answer.body as Incident).incidentId;
  const done = await a.request('GET', `/v1/clusters/${cluster}/incidents/${id}?waitSeconds=30`);
  return done.body as Incident;
}

describe('notifications', () => {
  it('signed CloudEvents for fenced, failed, readiness and unfenced', async () => {
    const fenced = await fence('ev', 'b');
    const failed = await fence('ev', 'c');
    expect([fenced.state, failed.state]).toEqual(['fenced', 'failed']);
    await setup
      .client(host.url, 'admin/ops')
      .request('POST', '/v1/clusters/ev/nodes/b/unfence', {});
    const types = ['incident.fenced', 'incident.failed', 'node.readiness', 'node.unfenced'];
    const seen = await until(events, (list) =>
      types.every((t) => list.some((e) => e.event.type === `dev.fencer.${t}`)),
    );
    for (const t of types) expect(seen.map((e) => e.event.type)).toContain(`dev.fencer.${t}`);
    const first = seen.find((e) => e.event.type === 'dev.fencer.incident.fenced');
    expect(first?.event).toMatchObject({
      specversion: '1.0',
      source: '/clusters/ev',
      data: { incidentId: fenced.incidentId, state: 'fenced', target: 'b' },
    });
    expect(first?.request.headers['content-type']).toContain('application/cloudevents+json');
    expect(first?.request.path).toBe('/hooks/fencer?team=ops');
    for (const { request } of seen) expect(verifies(request)).toBe(true);
    const readiness = seen.find((e) => e.event.type === 'dev.fencer.node.readiness');
    expect(readiness?.event.data).toMatchObject({
      cluster: 'ev',
      node: 'c',
      readiness: 'unfenceable',
    });
  });

  it('a receiver answering 500 for a while gets the events later, none lost, same ids', async () => {
    receiver.setMode('fail');
    const before = receiver.received.length;
    const incident = await fence('late', 'b');
    await until(
      () => receiver.received.length,
      (n) => n >= before + 2,
      10_000,
    );
    receiver.setMode('ok');
    const delivered = await until(
      () => events().filter((e) => e.event.data.incidentId === incident.incidentId),
      (list) => list.length >= 3,
    );
    const ids = new Set(delivered.map((e) => e.event.id));
    expect(ids.size).toBe(1);
    // Every try signed afresh: a new nonce each time.
    expect(new Set(delivered.map((e) => e.request.headers['x-fencer-nonce'])).size).toBe(
      delivered.length,
    );
  });

  it('a hung receiver does not slow a fence down', async () => {
    receiver.setMode('hang');
    const timed = async (cluster: string, target: string) => {
      const started = Date.now();
      expect((await fence(cluster, target)).state).toBe('fenced');
      return Date.now() - started;
    };
    const quiet = [await timed('quiet', 'b'), await timed('quiet', 'c')];
    const hung = [await timed('hung', 'b'), await timed('hung', 'c')];
    receiver.setMode('ok');
    expect(Math.max(...hung)).toBeLessThan(Math.max(...quiet) + 500);
  });
});
