import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signedAction } from './peers/client.ts';
import {
  type RelayInProcess,
  secretFile,
  startRelayInProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki } from './peers/tls.ts';
import { type CliStandIns, installCliStandIns } from './peers/vsphereCliStandIns.ts';

/**
 * vmware-cmd and esxcli (LifeKeeper's commands) through recording stand-ins found on PATH:
 * the exact argv, the password through VI_PASSWORD only, and the parsing of their answers.
 * esxcli's own behaviour (absence, world ids) is in esxcli.test.ts.
 */
const password = 'esx-Secret-Pw-9';
const sha = createHash('sha256').update(password).digest('hex');
const vmx = '/vmfs/volumes/4e1e1386-0b862fae-a859-0019b9cb28bc/oracle10/oracle.vmx';
let dir: string;
let cli: CliStandIns;
let relay: RelayInProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-cli-'));
  const pki = makeTestPki(dir);
  cli = installCliStandIns(dir, [
    { name: 'oracle', vmx },
    { name: 'legacy', vmx: '/vmfs/volumes/ds1/legacy/legacy.vmx' },
  ]);
  const pw = { secretRef: secretFile(dir, 'esx', password) };
  const config = writeRelayConfig({
    dir,
    pki,
    targets: {
      oracle: { 'vmware-cmd': { host: '10.0.0.1', user: 'root', password: pw, vmx } },
      legacy: {
        esxcli: { server: '10.0.0.1', user: 'root', password: pw, vm: { name: 'legacy' } },
      },
    },
  });
  relay = await startRelayInProcess({ ...config, ca: pki.caCert, childEnv: cli.childEnv() });
});

afterAll(async () => {
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  cli.powerOn('oracle');
});

const act = (target: string, action: string) =>
  signedAction(relay, {
    requestId: `${target}-${action}-${Math.random()}`,
    target,
    action,
    deadlineMs: 5000,
  });

describe('vmware-cmd executor', () => {
  it('runs `vmware-cmd -H host -U user <vmx> stop hard`, then getstate until off', async () => {
    const before = cli.calls().length;
    const answer = await act('oracle', 'off');
    expect(answer.json).toMatchObject({ powerState: 'off', verified: true });
    const calls = cli.calls().slice(before);
    expect(calls.map((c) => c.argv)).toEqual([
      ['-H', '10.0.0.1', '-U', 'root', vmx, 'stop', 'hard'],
      ['-H', '10.0.0.1', '-U', 'root', vmx, 'getstate'],
    ]);
    for (const call of calls) {
      expect(call.tool).toBe('vmware-cmd');
      expect(call.viPasswordSha256).toBe(sha);
    }
  });

  it('starts the VM for power on', async () => {
    cli.powerOff('oracle');
    expect((await act('oracle', 'on')).json).toMatchObject({ powerState: 'on', verified: true });
    expect(cli.calls().at(-2)?.argv.slice(-1)).toEqual(['start']);
  });
});

describe('vSphere CLI secrets', () => {
  it('never passes the password in argv nor lets the relay environment through', async () => {
    await act('oracle', 'status');
    await act('legacy', 'status');
    const calls = cli.calls();
    expect(calls.length).toBeGreaterThan(5);
    for (const call of calls) {
      expect(call.argv.join(' ')).not.toContain(password);
      expect(call.argv).not.toContain('-P');
      expect(call.argv).not.toContain('--password');
      // Only the base environment plus VI_PASSWORD: none of the relay's own variables.
      expect(
        call.envNames.filter(
          (n) =>
            !['PATH', 'LANG', 'LC_ALL', 'HOME', 'TMPDIR', 'VI_PASSWORD', 'LC_CTYPE'].includes(n),
        ),
      ).toEqual([]);
    }
    for (const line of relay.logLines) expect(line).not.toContain(password);
  });
});
