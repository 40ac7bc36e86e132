import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHttpHost, listen } from '../../cli/httpHost.ts';
import { type LocalHost, startLocalHost } from '../../cli/localHost.ts';
import { signRequest } from '../../core/auth/signing.ts';
import {
  clientsFromConnectionString,
  ensureStorage,
  storageNames,
} from '../../core/ledger/storage.ts';
import { tableLedger } from '../../core/ledger/table/tableLedger.ts';
import { silentLog } from '../../core/log.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { createRuntime } from '../../core/runtime.ts';
import { type EmbeddedAzurite, startEmbeddedAzurite } from '../support/azurite.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';

/**
 * Azurite (persistent, `--location`) restarted between the decision and the fence: the API
 * accepts a report while no worker runs, storage goes down gracefully and comes back on new
 * ports from the same folder, and a host started then finds everything it needs: the fencing
 * incident, its queue message, the remembered nonce and eventId. The fence completes once.
 */
const setup = writeTestConfig({ az: { nodes: { a: {}, b: {}, c: {} } } });
const dataDir = mkdtempSync(join(tmpdir(), 'fencer-azurite-restart-'));
const prefix = uniquePrefix('azrestart');
const started: { stop(): Promise<void> }[] = [];

afterAll(async () => {
  for (const s of started.reverse()) await s.stop().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

async function startAzurite(): Promise<EmbeddedAzurite> {
  const azurite = await startEmbeddedAzurite({ dataDir });
  started.push(azurite);
  return azurite;
}

/** A signed report as raw bytes, so the very same request can be sent again later. */
function signedReport(body: string) {
  const path = '/v1/clusters/az/reports';
  const headers = signRequest({
    keyId: 'az/a',
    secret: setup.secret('az/a'),
    method: 'POST',
    pathWithQuery: path,
    body,
    nowMs: Date.now(),
  });
  return (base: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
}

describe('Azurite restarted between decision and fence', () => {
  it('loses nothing: the host started afterwards completes the fence, once', async () => {
    // Prepare: the API alone (no queue poller) on a persistent Azurite.
    const first = await startAzurite();
    const storage = clientsFromConnectionString(first.connectionString, storageNames(prefix));
    await ensureStorage(storage);
    const ledger = tableLedger(storage, { now: () => Date.now() });
    const runtime = createRuntime({ loaded: setup.loaded, ledger, log: silentLog, version: 't' });
    const { server } = createHttpHost(runtime);
    const port = await listen(server, 0);
    const report = signedReport(JSON.stringify({ target: 'b', eventId: 'lk-az-1' }));
    const answer = await report(`http://127.0.0.1:${port}/api`);
    expect(answer.status).toBe(202);
    const id = ((await answer.json()) as Incident).incidentId;
    // Decided and queued, not fenced: nobody works the queue.
    expect((await runtime.clusters.read('az')).state.nodes['b']?.state).toBe('fencing');
    const queued = await storage.queue.peekMessages({ numberOfMessages: 32 });
    expect(queued.peekedMessageItems).toHaveLength(1);

    // Act: storage goes down (gracefully, saving its files) and comes back on new ports.
    await new Promise<void>((resolve) => (server as Server).close(() => resolve()));
    await first.stop();
    const second = await startAzurite();
    expect(second.connectionString).not.toBe(first.connectionString);
    const host: LocalHost = await startLocalHost({
      loaded: setup.loaded,
      log: silentLog,
      port: 0,
      ledger: { kind: 'table', connectionString: second.connectionString, storagePrefix: prefix },
      drainMs: 2_000,
    });
    started.push(host);

    // Assess: the incident ends fenced, with one attempt and one power-off.
    const client = setup.client(host.url, 'az/c');
    const done = (await client.request('GET', `/v1/clusters/az/incidents/${id}?waitSeconds=20`))
      .body as Incident;
    expect(done).toMatchObject({ incidentId: id, state: 'fenced', target: 'b', reporters: ['a'] });
    expect(done.attempts.map((a) => a.outcome)).toEqual(['off']);
    const status = JSON.parse(readFileSync(setup.statusFile('az', 'b'), 'utf8'));
    expect(status).toMatchObject({ power: 'off', powerOffCalls: 1 });
    // The replay guard and the eventId memory came back too.
    const replay = await report(host.url);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ code: 'replayed' });
    const retry = await setup
      .client(host.url, 'az/a')
      .request('POST', '/v1/clusters/az/reports', { target: 'b', eventId: 'lk-az-1' });
    expect(retry.body).toMatchObject({ incidentId: id, state: 'fenced' });
  });
});
