import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import type { PowerExecutor } from '../../relay-agent/executors/types.ts';
import {
  type RelayInProcess,
  startRelayInProcess,
  writeRelayConfig,
} from '../relay/peers/relay.ts';
import { makeTestPki } from '../relay/peers/tls.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * The local host runs its first readiness round before it listens (bounded), so the first
 * fence after a start finds the relay connection open and the code warm, and does not queue
 * behind a check of its own device at the relay. The device here takes 400 ms to read.
 */
let dir: string;
let relay: RelayInProcess;
let host: LocalHost | undefined;
const reads: number[] = [];

const slowDevice: PowerExecutor = {
  description: 'slow to read',
  callTimeoutMs: 5000,
  powerOff: async () => undefined,
  powerOn: async () => undefined,
  powerState: async () => {
    reads.push(Date.now());
    await new Promise((r) => setTimeout(r, 400));
    return { state: 'on' };
  },
};

beforeAll(async () => {
  process.env['WARM_START_PW'] = 'pw';
  dir = mkdtempSync(join(tmpdir(), 'warm-start-'));
  const pki = makeTestPki(dir);
  const site = writeRelayConfig({
    dir,
    pki,
    targets: {
      bmc: { ipmi: { host: '10.0.0.1', user: 'u', password: { secretRef: 'env:WARM_START_PW' } } },
    },
  });
  relay = await startRelayInProcess({ ...site, ca: pki.caCert, executorFor: () => slowDevice });
});

afterAll(async () => {
  await host?.stop();
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('start of the local host', () => {
  it('has checked every device once when it starts listening', async () => {
    // Prepare
    const setup = writeTestConfig(
      {
        warm: { nodes: { a: {}, b: { levels: [[{ relay: { relay: 'site', target: 'bmc' } }]] } } },
      },
      { relays: { site: relay.fencerRelayConfig(dir) } },
    );
    // Act
    host = await startTestHost(setup.loaded, 'warm-start');
    // Assess: the check of b's relay device is stored already, read through the relay.
    const records = await host.runtime.readiness.devices('warm');
    const b = records.find((r) => r.node === 'b');
    expect(b).toMatchObject({ status: 'ok', powerState: 'on' });
    expect(reads.length).toBeGreaterThanOrEqual(1);
  });
});
