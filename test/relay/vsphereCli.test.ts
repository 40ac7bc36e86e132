import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { childEnvOf } from '../../relay-agent/runner.ts';
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
  cli = installCliStandIns(dir, 1234567);
  const pw = { secretRef: secretFile(dir, 'esx', password) };
  const config = writeRelayConfig({
    dir,
    pki,
    targets: {
      oracle: { 'vmware-cmd': { host: '10.0.0.1', user: 'root', password: pw, vmx } },
      legacy: { esxcli: { server: '10.0.0.1', user: 'root', password: pw, worldId: 1234567 } },
      'legacy-stale': { esxcli: { server: '10.0.0.1', user: 'root', password: pw, worldId: 99 } },
    },
  });
  const env = childEnvOf(process.env);
  relay = await startRelayInProcess({
    ...config,
    ca: pki.caCert,
    childEnv: { ...env, PATH: `${cli.binDir}:${env['PATH']}` },
  });
});

afterAll(async () => {
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => cli.setState({ power: 'on' }));

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
    cli.setState({ power: 'off' });
    expect((await act('oracle', 'on')).json).toMatchObject({ powerState: 'on', verified: true });
    expect(cli.calls().at(-2)?.argv.slice(-1)).toEqual(['start']);
  });
});

describe('esxcli executor', () => {
  it('kills the world hard, then reads `vm process list` until the world is gone', async () => {
    const before = cli.calls().length;
    const answer = await act('legacy', 'off');
    expect(answer.json).toMatchObject({ powerState: 'off', verified: true });
    const calls = cli.calls().slice(before);
    expect(calls.map((c) => c.argv)).toEqual([
      [
        '--server',
        '10.0.0.1',
        '--username',
        'root',
        'vm',
        'process',
        'kill',
        '--type=hard',
        '--world-id=1234567',
      ],
      ['--server', '10.0.0.1', '--username', 'root', 'vm', 'process', 'list'],
    ]);
    expect(calls.every((c) => c.viPasswordSha256 === sha)).toBe(true);
  });

  it('reads a listed world as on, and refuses power on as unsupported', async () => {
    expect((await act('legacy', 'status')).json).toMatchObject({
      powerState: 'on',
      verified: true,
    });
    const on = await act('legacy', 'on');
    expect(on.json).toMatchObject({
      code: 'execution-failed',
      reason: 'unsupported',
      retryable: false,
    });
  });

  it('reports a stale world id as not found (the CLI refused), not as a verified off', async () => {
    const answer = await act('legacy-stale', 'off');
    expect(answer.json).toMatchObject({
      code: 'execution-failed',
      reason: 'not-found',
      retryable: false,
    });
  });
});

describe('vSphere CLI secrets', () => {
  it('never passes the password in argv nor lets the relay environment through', async () => {
    await act('oracle', 'status');
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
