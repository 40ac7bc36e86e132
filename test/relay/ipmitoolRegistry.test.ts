import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BmcSim, startBmcSim } from './peers/bmcSim.ts';
import { signedAction } from './peers/client.ts';
import {
  ipmiTargetFor,
  type RelayInProcess,
  startRelayInProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki } from './peers/tls.ts';

/**
 * ipmitool 1.8.19 parses the IANA vendor registry (4.7 MB) at every start; the relay gives it
 * a HOME with a one-entry registry instead (relay-agent/executors/ipmitoolHome.ts). The target's
 * `command` is a wrapper that notes the HOME it was given, then runs the real ipmitool.
 */
let dir: string;
let bmc: BmcSim;
let relay: RelayInProcess;
let homeLog: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-registry-'));
  const pki = makeTestPki(dir);
  bmc = await startBmcSim({ dir });
  homeLog = join(dir, 'home.log');
  const wrapper = join(dir, 'ipmitool-wrapper');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nprintf '%s\\n' "$HOME" >> ${JSON.stringify(homeLog)}\nexec ipmitool "$@"\n`,
  );
  chmodSync(wrapper, 0o700);
  const config = writeRelayConfig({
    dir,
    pki,
    targets: { bmc: ipmiTargetFor(bmc, dir, { command: wrapper }) },
  });
  relay = await startRelayInProcess({ ...config, ca: pki.caCert });
});

afterAll(async () => {
  await relay?.stop();
  await bmc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** How many vendor entries real ipmitool loads with this HOME (`-vvvvvv` prints it). */
function entriesLoaded(home: string): number {
  const run = spawnSync(
    'ipmitool',
    [
      '-I',
      'lanplus',
      '-C',
      '3',
      '-H',
      bmc.host,
      '-p',
      String(bmc.port),
      '-U',
      bmc.user,
      '-E',
    ].concat(['-vvvvvv', 'chassis', 'power', 'status']),
    {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: home,
        IPMI_PASSWORD: bmc.password,
      },
      encoding: 'utf8',
      timeout: 20_000,
      // With the full registry, -vvvvvv lists every one of its entries.
      maxBuffer: 64 * 2 ** 20,
    },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  expect(output).toContain('Chassis Power is on');
  return Number(/Allocating\s+(\d+) entries/.exec(output)?.[1] ?? Number.NaN);
}

describe('ipmitool run by the relay', () => {
  it('gets a HOME whose one-entry vendor registry real ipmitool loads instead of the full one', async () => {
    // Act
    const answer = await signedAction(relay, {
      requestId: 'registry-1',
      target: 'bmc',
      action: 'status',
      deadlineMs: 5000,
    });
    // Assess: the action works as before …
    expect(answer.json).toMatchObject({ powerState: 'on', verified: true });
    // … with a HOME of the relay's own, holding the registry under both file names …
    const home = readFileSync(homeLog, 'utf8').trim().split('\n').at(-1) ?? '';
    expect(home).not.toBe(process.env['HOME']);
    const misc = join(home, '.local', 'usr', 'share', 'misc');
    expect(existsSync(join(misc, 'enterprise-numbers.txt'))).toBe(true);
    expect(existsSync(join(misc, 'enterprise-numbers'))).toBe(true);
    // … that real ipmitool reads instead of the system's (tens of thousands of entries).
    expect(entriesLoaded(home)).toBeLessThan(10);
    expect(entriesLoaded(join(dir, 'no-such-home'))).toBeGreaterThan(10_000);
  });
});
