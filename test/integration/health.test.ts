import { afterAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import { type EmbeddedAzurite, startEmbeddedAzurite } from '../support/azurite.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * DESIGN "HTTP API": health answers 200 when the ledger answers, else 503 `unavailable`.
 * Before: the host's Azurite child could die and /v1/health stayed 200 while every call was 500.
 */
const setup = writeTestConfig({ h: { nodes: { a: {}, b: {} } } });
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
});

const health = async (host: LocalHost) => {
  const response = await fetch(`${host.url}/v1/health`);
  return { status: response.status, body: await response.json() };
};

describe('health tells the truth about the ledger', () => {
  it('SQLite: 200 while the database answers, 503 unavailable once it is closed', async () => {
    const host = await startTestHost(setup.loaded, 'health');
    stops.push(() => host.stop());
    expect(await health(host)).toEqual({
      status: 200,
      body: { status: 'ok', version: expect.any(String) },
    });
    await host.ledger.close();
    expect(await health(host)).toEqual({
      status: 503,
      body: { status: 'unavailable', version: expect.any(String) },
    });
    // Every other call is refused too, with a problem, not a 2xx.
    const report = await setup
      .client(host.url, 'h/a')
      .request('POST', '/v1/clusters/h/reports', { target: 'b' });
    expect(report.status).toBeGreaterThanOrEqual(500);
  });

  it('Table Storage: 200 while Azurite answers, 503 unavailable once it is stopped', async () => {
    const azurite: EmbeddedAzurite = await startEmbeddedAzurite();
    stops.push(() => azurite.stop());
    const { startLocalHost } = await import('../../cli/localHost.ts');
    const { silentLog } = await import('../../core/log.ts');
    const host = await startLocalHost({
      loaded: setup.loaded,
      log: silentLog,
      port: 0,
      ledger: { kind: 'table', connectionString: azurite.connectionString },
      drainMs: 1_000,
    });
    stops.push(() => host.stop());
    expect((await health(host)).status).toBe(200);
    await azurite.stop();
    const started = Date.now();
    expect(await health(host)).toEqual({
      status: 503,
      body: { status: 'unavailable', version: expect.any(String) },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
