import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import { createDriver } from '../../core/drivers/registry.ts';
import { DriverError } from '../../core/errors.ts';
import { freePort } from '../support/ports.ts';
import { type BmcSim, startBmcSim } from './peers/bmcSim.ts';
import { fenceTarget, relayDriverFor } from './peers/client.ts';
import {
  ipmiTargetFor,
  type RelayInProcess,
  startRelayInProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki, type TestPki } from './peers/tls.ts';

/** core/drivers/relay.ts: the Function's side, against a real relay and the BMC simulator. */
let dir: string;
let pki: TestPki;
let otherPki: TestPki;
let bmc: BmcSim;
let relay: RelayInProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-driver-'));
  pki = makeTestPki(dir);
  otherPki = makeTestPki(dir, 'other');
  bmc = await startBmcSim({ dir });
  const config = writeRelayConfig({ dir, pki, targets: { 'bmc-a': ipmiTargetFor(bmc, dir) } });
  relay = await startRelayInProcess({ ...config, ca: pki.caCert });
});

afterAll(async () => {
  await relay?.stop();
  await bmc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await bmc.set({ mode: 'normal', power: 'on', clearEvents: true });
});

const signal = () => AbortSignal.timeout(10_000);

async function failure(promise: Promise<unknown>): Promise<DriverError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DriverError)) throw new Error(`expected a DriverError, got ${String(err)}`);
  return err;
}

describe('relay driver', () => {
  it('is built by the registry from a relay entry and relays config', async () => {
    const driver = await createDriver(
      { relay: { relay: 'dc1', target: 'bmc-a' } },
      {
        clock: systemClock,
        baseDir: dir,
        secret: () => relay.key,
        relays: {
          dc1: {
            url: relay.url,
            keyName: relay.keyName,
            key: { secretRef: 'env:X' },
            ca: pki.caCert,
          },
        },
      },
    );
    expect(driver).toMatchObject({ kind: 'relay', description: 'relay dc1/bmc-a' });
    expect(await driver.powerState(fenceTarget(), signal())).toBe('on');
  });

  it('does not act twice when an attempt is redelivered to a new driver (same attemptId)', async () => {
    const target = fenceTarget('inc-7.0.redeliver');
    await relayDriverFor(relay, 'bmc-a').powerOff(target, signal());
    await bmc.set({ power: 'on' });
    // A new process (new driver, counters from zero) re-runs the same attempt.
    await relayDriverFor(relay, 'bmc-a').powerOff(target, signal());
    expect(await bmc.count('power_off')).toBe(1);
  });

  it('acts again for a retry within the same attempt (next counter)', async () => {
    const driver = relayDriverFor(relay, 'bmc-a');
    const target = fenceTarget();
    await driver.powerOff(target, signal());
    await bmc.set({ power: 'on' });
    await driver.powerOff(target, signal());
    expect(await bmc.count('power_off')).toBe(2);
    expect((await bmc.state()).power).toBe('off');
  });

  it('never answers powerState from an earlier status read', async () => {
    const driver = relayDriverFor(relay, 'bmc-a');
    const target = fenceTarget('inc-8.0.status');
    expect(await driver.powerState(target, signal())).toBe('on');
    await bmc.set({ power: 'off' });
    expect(await driver.powerState(target, signal())).toBe('off');
    // A redelivered attempt's status read is fresh too.
    await bmc.set({ power: 'on' });
    expect(await relayDriverFor(relay, 'bmc-a').powerState(target, signal())).toBe('on');
    expect(await bmc.count('status')).toBe(3);
  });

  it('powers on, verified', async () => {
    await bmc.set({ power: 'off' });
    await relayDriverFor(relay, 'bmc-a').powerOn?.(fenceTarget(), signal());
    expect((await bmc.state()).power).toBe('on');
  });

  it('fails retryably when the relay is down (connection refused)', async () => {
    const url = `https://127.0.0.1:${await freePort()}`;
    const err = await failure(
      relayDriverFor(relay, 'bmc-a', {}, { url }).powerOff(fenceTarget(), signal()),
    );
    expect(err).toMatchObject({ code: 'relay-unreachable', retryable: true });
  });

  it('fails retryably when the relay does not answer in time', async () => {
    const port = await freePort();
    const silent: Server = createServer(() => {}); // accepts, never speaks TLS
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const driver = relayDriverFor(
        relay,
        'bmc-a',
        { statusDeadlineMs: 300, networkMarginMs: 200 },
        { url: `https://127.0.0.1:${port}` },
      );
      const err = await failure(driver.powerState(fenceTarget(), signal()));
      expect(err).toMatchObject({ code: 'relay-timeout', retryable: true });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });

  it('fails for good when the relay certificate is not signed by the configured ca', async () => {
    const driver = relayDriverFor(relay, 'bmc-a', {}, { ca: otherPki.caCert });
    const err = await failure(driver.powerState(fenceTarget(), signal()));
    expect(err).toMatchObject({ code: 'relay-tls', retryable: false });
    expect(await bmc.count('status')).toBe(0);
  });

  it('fails for good on a wrong key or an unknown target', async () => {
    const badKey = relayDriverFor(
      { ...relay, key: Buffer.alloc(32, 7).toString('base64') },
      'bmc-a',
    );
    const unknown = relayDriverFor(relay, 'bmc-zz');
    expect(await failure(badKey.powerOff(fenceTarget(), signal()))).toMatchObject({
      code: 'relay-unauthenticated',
      retryable: false,
    });
    expect(await failure(unknown.powerOff(fenceTarget(), signal()))).toMatchObject({
      code: 'relay-unknown-target',
      retryable: false,
    });
    expect(await bmc.count('power_off')).toBe(0);
  });

  it('maps a relay deadline (504) to a retryable error', async () => {
    await bmc.set({ mode: 'dead' });
    const driver = relayDriverFor(relay, 'bmc-a', { statusDeadlineMs: 800 });
    const err = await failure(driver.powerState(fenceTarget(), signal()));
    expect(err).toMatchObject({ code: 'relay-deadline-exceeded', retryable: true });
  });

  it('reports reachability and power state for doctor', async () => {
    const checks = await relayDriverFor(relay, 'bmc-a').check?.(fenceTarget(), signal());
    expect(checks).toEqual([
      expect.objectContaining({ name: 'relay reachable', ok: true }),
      expect.objectContaining({
        name: 'power state readable',
        ok: true,
        detail: expect.stringContaining('is on'),
      }),
    ]);
  });
});
