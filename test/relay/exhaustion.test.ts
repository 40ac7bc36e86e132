import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BmcSim, startBmcSim } from './peers/bmcSim.ts';
import { signedAction } from './peers/client.ts';
import {
  ipmiTargetFor,
  type RelayProcess,
  startRelayProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki, type TestPki } from './peers/tls.ts';

/**
 * Issue 10 hole 6: ~1,000 idle TCP connections used up the relay's file descriptors; the next
 * ipmitool spawn then failed before its 'error' listener was attached and killed the relay.
 * Here the relay runs as its own process under `ulimit -n 256` and is flooded with 300 idle
 * connections that never speak TLS.
 */
let dir: string;
let pki: TestPki;
let bmc: BmcSim;
const relays: RelayProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-exhaustion-'));
  pki = makeTestPki(dir);
  bmc = await startBmcSim({ dir });
});

afterAll(async () => {
  for (const relay of relays) await relay.stop();
  await bmc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startRelay(name: string, extra: Record<string, unknown> = {}) {
  const config = writeRelayConfig({
    dir,
    pki,
    targets: { 'bmc-a': ipmiTargetFor(bmc, dir) },
    file: join(dir, `${name}.yaml`),
    extra,
  });
  const relay = await startRelayProcess({ ...config, ca: pki.caCert, nofile: 256 });
  relays.push(relay);
  return relay;
}

/** Opens `count` TCP connections that say nothing; resolves once each is open or refused. */
async function flood(url: string, count: number): Promise<Socket[]> {
  const { hostname, port } = new URL(url);
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect({ host: hostname, port: Number(port) });
          socket.on('error', () => undefined);
          socket.once('connect', () => resolve(socket));
          socket.once('close', () => resolve(socket));
        }),
    ),
  );
  // Let the relay accept (and drop what it will not keep) before the test goes on.
  await new Promise((r) => setTimeout(r, 500));
  return sockets;
}

let seq = 0;
const status = (relay: RelayProcess, agent?: Agent) =>
  signedAction(
    relay,
    { requestId: `flood-${seq++}`, target: 'bmc-a', action: 'status', deadlineMs: 5000 },
    agent ? { agent } : {},
  ).catch((err: unknown) => ({ status: 0, json: { error: String(err) } }));

describe('a connection flood under ulimit -n 256', () => {
  it('leaves the relay alive with 300 held connections, and it serves again after they go', async () => {
    // Prepare: a client that already holds a connection, as Fencer's keep-alive agent does.
    const relay = await startRelay('flood');
    const kept = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await status(relay, kept)).status).toBe(200);
    // Act
    const sockets = await flood(relay.url, 300);
    const droppedByRelay = sockets.filter((s) => s.destroyed).length;
    const during = await status(relay, kept);
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const after = await status(relay);
    kept.destroy();
    // Assess
    expect(relay.peer.exited()).toBe(false);
    expect(during.status).toBe(200);
    expect(after.status).toBe(200);
    // It held at most maxConnections (128 by default) and closed the rest as they came.
    expect(droppedByRelay).toBeGreaterThanOrEqual(300 - 128);
    expect(relay.peer.lines.filter((l) => l.includes('connection closed')).length).toBeLessThan(30);
    expect(relay.peer.stderr()).not.toMatch(/EMFILE|Unhandled|uncaught/i);
  });

  it('keeps a configured maxConnections within its file-descriptor budget', async () => {
    const relay = await startRelay('clamped', { limits: { maxConnections: 1000 } });
    const kept = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await status(relay, kept)).status).toBe(200);
    const sockets = await flood(relay.url, 300);
    const during = await status(relay, kept);
    for (const socket of sockets) socket.destroy();
    kept.destroy();
    expect(relay.peer.exited()).toBe(false);
    expect(during.status).toBe(200);
    expect(
      await relay.waitForLine((l) => l.includes('maxConnections') && l.includes('256')),
    ).toBeTruthy();
  });
});
