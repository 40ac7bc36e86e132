import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import { DriverCache } from '../../core/drivers/driverCache.ts';
import { type ConfiguredDevice, checkDevice } from '../../core/readiness/deviceChecks.ts';
import { freePort } from '../support/ports.ts';
import { type BmcSim, startBmcSim } from './peers/bmcSim.ts';
import {
  ipmiTargetFor,
  type RelayProcess,
  startRelayProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki } from './peers/tls.ts';

/**
 * Readiness of a relay path (an action `status` through the relay, real ipmitool, the BMC
 * simulator): a relay that died is `failing` before anyone needs it; started again, `ok`.
 */
let dir: string;
let bmc: BmcSim;
let relay: RelayProcess | undefined;
let start: () => Promise<RelayProcess>;
let drivers: DriverCache;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-readiness-'));
  const pki = makeTestPki(dir);
  bmc = await startBmcSim({ dir });
  const port = await freePort();
  const config = writeRelayConfig({
    dir,
    pki,
    targets: { 'bmc-a': ipmiTargetFor(bmc, dir) },
    extra: { listen: `127.0.0.1:${port}` },
  });
  start = () => startRelayProcess({ ...config, ca: pki.caCert });
  relay = await start();
  drivers = new DriverCache({
    clock: systemClock,
    baseDir: dir,
    secret: () => config.key,
    relays: { dc1: relay.fencerRelayConfig(dir) },
  });
});
afterAll(async () => {
  await relay?.stop();
  await bmc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const device: ConfiguredDevice = {
  node: 'node-b',
  level: 1,
  index: 0,
  entry: { relay: { relay: 'dc1', target: 'bmc-a' } },
  fingerprint: 'f',
  account: 'relay:dc1',
};
const check = () => checkDevice(device, 'c', { drivers, clock: systemClock }, 20_000);

describe('readiness of a relay path', () => {
  it('ok while the relay runs, failing once it stopped, ok again once it is back; nothing powered', async () => {
    expect(await check()).toMatchObject({ status: 'ok', powerState: 'on', driver: 'relay' });
    await relay?.stop();
    relay = undefined;
    const down = await check();
    expect(down).toMatchObject({ status: 'failing' });
    expect(down.detail).toMatch(/ECONNREFUSED|unreachable/);
    relay = await start();
    expect(await check()).toMatchObject({ status: 'ok', powerState: 'on' });
    expect(await bmc.count('power_off')).toBe(0);
    expect(await bmc.count('power_on')).toBe(0);
  });
});
