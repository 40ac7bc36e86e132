import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PowerExecutor } from '../../relay-agent/executors/types.ts';
import { fenceTarget, rawRequest, relayDriverFor, signedAction } from './peers/client.ts';
import { type RelayInProcess, startRelayInProcess, writeRelayConfig } from './peers/relay.ts';
import { makeTestPki } from './peers/tls.ts';

/**
 * Connections between Fencer and a push relay: Fencer's stay open across idle periods (its
 * readiness checks keep them warm), so a fence pays no TCP or TLS handshake; anyone else's are
 * closed after 5 s idle. A TCP pass-through in front of the relay counts the connections and
 * sees which side ends each.
 */
let dir: string;
let relay: RelayInProcess;
/** The same relay with the shortest keep-alive it allows (5 s), for the client's side. */
let shortRelay: RelayInProcess;
let proxy: CountingProxy;
let shortProxy: CountingProxy;
/** In front of `relay` too, for the two-device case. */
let sharedProxy: CountingProxy;

interface Seen {
  opened: number;
  /** When the relay ended it (its side closed first). */
  endedByRelay?: number;
  /** When the client ended it (its side closed first). */
  endedByClient?: number;
}

interface CountingProxy {
  url: string;
  connections: Seen[];
  close(): void;
}

const executor: PowerExecutor = {
  description: 'always on',
  callTimeoutMs: 5000,
  powerOff: async () => undefined,
  powerOn: async () => undefined,
  powerState: async () => ({ state: 'on' }),
};

/** A TCP pass-through on a free loopback port: TLS goes end to end, connections are counted. */
async function startCountingProxy(relayUrl: string): Promise<CountingProxy> {
  const upstream = new URL(relayUrl);
  const connections: Seen[] = [];
  const server = createServer((client: Socket) => {
    const seen: Seen = { opened: Date.now() };
    connections.push(seen);
    const relaySide = connect(Number(upstream.port), upstream.hostname);
    relaySide.on('end', () => {
      if (seen.endedByClient === undefined) seen.endedByRelay ??= Date.now();
      client.end();
    });
    client.on('end', () => {
      if (seen.endedByRelay === undefined) seen.endedByClient ??= Date.now();
      relaySide.end();
    });
    for (const s of [client, relaySide]) s.on('error', () => undefined);
    client.pipe(relaySide);
    relaySide.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `https://127.0.0.1:${port}`, connections, close: () => server.close() };
}

beforeAll(async () => {
  process.env['KEEPALIVE_TEST_PW'] = 'pw';
  dir = mkdtempSync(join(tmpdir(), 'relay-keepalive-'));
  const pki = makeTestPki(dir);
  const ipmi = (host: string) => ({
    ipmi: { host, user: 'u', password: { secretRef: 'env:KEEPALIVE_TEST_PW' } },
  });
  const targets = { bmc: ipmi('10.0.0.1'), 'bmc-2': ipmi('10.0.0.2') };
  const start = (file: string, extra: Record<string, unknown> = {}) =>
    startRelayInProcess({
      ...writeRelayConfig({ dir, pki, targets, file: join(dir, file), extra }),
      ca: pki.caCert,
      executorFor: () => executor,
    });
  relay = await start('relay.yaml');
  shortRelay = await start('short.yaml', { limits: { keepAliveSeconds: 5 } });
  proxy = await startCountingProxy(relay.url);
  shortProxy = await startCountingProxy(shortRelay.url);
  sharedProxy = await startCountingProxy(relay.url);
});

afterAll(async () => {
  await relay?.stop();
  await shortRelay?.stop();
  proxy?.close();
  shortProxy?.close();
  sharedProxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('keep-alive between Fencer and a push relay', () => {
  it.concurrent("keeps Fencer's connection across an idle gap that ends anyone else's, and the relay driver reuses it", async () => {
    // Prepare: Fencer's driver reads the state once (as a readiness check does); someone
    // else asks for the health page on a keep-alive connection of their own.
    const driver = relayDriverFor(relay, 'bmc', {}, { url: proxy.url });
    expect(await driver.powerState(fenceTarget(), AbortSignal.timeout(5000))).toBe('on');
    const other = new Agent({ keepAlive: true });
    const health = await rawRequest(proxy.url, {
      method: 'GET',
      path: '/v1/health',
      ca: relay.ca,
      agent: other,
    });
    expect(health.headers['keep-alive']).toBe('timeout=5');
    expect(proxy.connections).toHaveLength(2);

    // Act: idle for longer than the 5 s anyone's connection gets, then the next action.
    await idle(6500);
    const state = await driver.powerState(fenceTarget(), AbortSignal.timeout(5000));

    // Assess: the relay ended the other connection, not Fencer's, which carried the action.
    expect(state).toBe('on');
    const [fencers, others] = proxy.connections;
    expect(others?.endedByRelay).toBeDefined();
    expect(fencers?.endedByRelay).toBeUndefined();
    expect(fencers?.endedByClient).toBeUndefined();
    expect(proxy.connections).toHaveLength(2);
    other.destroy();
  }, 20_000);

  it.concurrent("closes Fencer's idle connection a second before the relay would (the relay's Keep-Alive timeout)", async () => {
    // Prepare: a relay that keeps connections for 5 s (limits.keepAliveSeconds: 5).
    const driver = relayDriverFor(shortRelay, 'bmc', {}, { url: shortProxy.url });
    await driver.powerState(fenceTarget(), AbortSignal.timeout(5000));
    // Act: idle past the advertised 5 s.
    await idle(5500);
    // Assess: the client ended it (at ~4 s), so no request can be sent into a socket the
    // relay is closing; the next action opens a new connection without an error.
    const [first] = shortProxy.connections;
    expect(first?.endedByClient).toBeDefined();
    expect(first?.endedByRelay).toBeUndefined();
    expect((first?.endedByClient ?? 0) - (first?.opened ?? 0)).toBeLessThan(5000);
    expect(await driver.powerState(fenceTarget(), AbortSignal.timeout(5000))).toBe('on');
    expect(shortProxy.connections).toHaveLength(2);
  }, 20_000);
  it('advertises limits.keepAliveSeconds to a client whose signed action it answered', async () => {
    // Prepare
    const agent = new Agent({ keepAlive: true });
    // Act: a signed action, then the health page on the same connection.
    const action = await signedAction(
      relay,
      { requestId: 'ka-1', target: 'bmc', action: 'status', deadlineMs: 3000 },
      { agent },
    );
    const health = await rawRequest(relay.url, {
      method: 'GET',
      path: '/v1/health',
      ca: relay.ca,
      agent,
    });
    // Assess
    expect(action.status).toBe(200);
    expect(action.headers['keep-alive']).toBe('timeout=600');
    expect(health.headers['keep-alive']).toBe('timeout=600');
    agent.destroy();
  });

  it('shares one connection among the devices behind one relay (the drivers of two targets)', async () => {
    // Prepare: two devices, each with its own driver, as the driver cache builds them.
    const first = relayDriverFor(relay, 'bmc', {}, { url: sharedProxy.url });
    const second = relayDriverFor(relay, 'bmc-2', {}, { url: sharedProxy.url });
    // Act: one after the other, as readiness checks them.
    await first.powerState(fenceTarget(), AbortSignal.timeout(5000));
    await second.powerState(fenceTarget(), AbortSignal.timeout(5000));
    await first.powerState(fenceTarget(), AbortSignal.timeout(5000));
    // Assess
    expect(sharedProxy.connections).toHaveLength(1);
  });
});
