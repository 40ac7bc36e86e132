import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProcessRunner, createRecordingRunner } from '../../relay-agent/runner.ts';
import { type BmcSim, startBmcSim } from './peers/bmcSim.ts';
import { fenceTarget, relayDriverFor, signedAction } from './peers/client.ts';
import {
  ipmiTargetFor,
  type RelayInProcess,
  startRelayInProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki } from './peers/tls.ts';

/**
 * The relay alone, in this process, with the real process runner: relay driver → HTTPS →
 * relay → real ipmitool → simulated BMC (pyghmi). The runner records every argv, and reads
 * /proc/PID/cmdline of every ipmitool it starts, to prove the password is never in argv.
 */
let dir: string;
let bmc: BmcSim;
let kgBmc: BmcSim;
let relay: RelayInProcess;
const kg = 'kg-Secret-Key-77';
const cmdlines: string[] = [];
const recorder = createRecordingRunner(
  createProcessRunner({
    onSpawn: ({ pid }) => {
      try {
        cmdlines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        // exited already (a 30 ms ipmitool); the dead-BMC test guarantees live ones
      }
    },
  }),
);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-ipmi-'));
  const pki = makeTestPki(dir);
  bmc = await startBmcSim({ dir });
  kgBmc = await startBmcSim({ dir, kg, name: 'kg' });
  const config = writeRelayConfig({
    dir,
    pki,
    targets: {
      'bmc-a': ipmiTargetFor(bmc, dir),
      'bmc-file': ipmiTargetFor(bmc, dir, { passwordVia: 'file' }),
      'bmc-kg': ipmiTargetFor(kgBmc, dir, { kg: { secretRef: 'env:BMC_KG_SECRET' } }),
      'bmc-kg-missing': ipmiTargetFor(kgBmc, dir),
      'bmc-wrong': {
        ipmi: { ...ipmiTargetFor(bmc, dir).ipmi, password: { secretRef: 'env:WRONG_PW' } },
      },
    },
  });
  process.env['WRONG_PW'] = 'not-the-password';
  process.env['BMC_KG_SECRET'] = kg;
  relay = await startRelayInProcess({ ...config, ca: pki.caCert, runner: recorder });
});

afterAll(async () => {
  await relay?.stop();
  await bmc?.stop();
  await kgBmc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await bmc.set({ mode: 'normal', power: 'on', busyCount: 0, offDelayMs: 0, clearEvents: true });
});

describe('relay → ipmitool → simulated BMC', () => {
  it('powers off through the relay driver, verified, with exactly one power-off at the BMC', async () => {
    // Prepare
    const driver = relayDriverFor(relay, 'bmc-a', { offDeadlineMs: 5000 });
    // Act
    await driver.powerOff(fenceTarget(), AbortSignal.timeout(10_000));
    // Assess
    expect((await bmc.state()).power).toBe('off');
    expect(await bmc.count('power_off')).toBe(1);
    expect(await driver.powerState(fenceTarget(), AbortSignal.timeout(5000))).toBe('off');
    const offCall = recorder.calls.find((c) => c.args.includes('off'));
    expect(offCall?.args).toEqual(
      expect.arrayContaining([
        '-I',
        'lanplus',
        '-C',
        '3',
        '-U',
        'admin',
        '-E',
        'chassis',
        'power',
        'off',
      ]),
    );
    expect(offCall?.envNames).toContain('IPMI_PASSWORD');
  });

  it('waits for a delayed off, polling status until the BMC says off', async () => {
    // Long enough for two status reads even when each ipmitool call takes ~0.4 s (a busy host).
    await bmc.set({ mode: 'delayed-off', offDelayMs: 1200 });
    const answer = await signedAction(relay, {
      requestId: 'delayed-1',
      target: 'bmc-a',
      action: 'off',
      deadlineMs: 5000,
    });
    expect(answer.json).toMatchObject({ verified: true, powerState: 'off' });
    expect(answer.json['elapsedMs']).toBeGreaterThanOrEqual(1150);
    expect(await bmc.count('status')).toBeGreaterThanOrEqual(2);
  });

  it('does not verify a hung BMC (acks the off, stays on) and answers within the deadline', async () => {
    await bmc.set({ mode: 'hung' });
    const started = Date.now();
    const answer = await signedAction(relay, {
      requestId: 'hung-1',
      target: 'bmc-a',
      action: 'off',
      deadlineMs: 1500,
    });
    // The relay's own clock within the deadline; the wall clock adds TLS and a loaded CI box.
    expect(answer.json['elapsedMs']).toBeLessThanOrEqual(1500);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ verified: false, powerState: 'on' });
    expect((await bmc.state()).power).toBe('on');
    // Through the driver the off counts as delivered (the engine polls next), and the power
    // state it then reads is on: never success.
    const driver = relayDriverFor(relay, 'bmc-a', { offDeadlineMs: 1000 });
    await expect(
      driver.powerOff(fenceTarget(), AbortSignal.timeout(5000)),
    ).resolves.toBeUndefined();
    expect(await driver.powerState(fenceTarget(), AbortSignal.timeout(5000))).toBe('on');
  });

  it('retries a busy BMC (completion code 0xC0) and then verifies', async () => {
    await bmc.set({ mode: 'busy', busyCount: 2 });
    const answer = await signedAction(relay, {
      requestId: 'busy-1',
      target: 'bmc-a',
      action: 'off',
      deadlineMs: 5000,
    });
    expect(answer.json).toMatchObject({ verified: true, powerState: 'off' });
    const events = await bmc.events();
    expect(events.filter((e) => e.result === 'busy')).toHaveLength(2);
    const steps = answer.json['steps'] as { ok: boolean; detail: string }[];
    expect(steps.filter((s) => !s.ok).map((s) => s.detail)).toEqual([
      expect.stringContaining('Node busy'),
      expect.stringContaining('Node busy'),
    ]);
  });

  it('fails a dead BMC within the deadline (504, retryable), killing each stuck ipmitool', async () => {
    await bmc.set({ mode: 'dead' });
    const before = cmdlines.length;
    const started = Date.now();
    const answer = await signedAction(relay, {
      requestId: 'dead-1',
      target: 'bmc-a',
      action: 'off',
      deadlineMs: 2000,
    });
    expect(answer.json['elapsedMs']).toBeLessThanOrEqual(2000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(answer.status).toBe(504);
    expect(answer.json).toMatchObject({ code: 'deadline-exceeded', retryable: true });
    // A stuck ipmitool lives long enough for its /proc/PID/cmdline to be read.
    const seen = cmdlines.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toContain('chassis');
    for (const cmdline of seen) expect(cmdline).not.toContain(bmc.password);
  });

  it('refuses a wrong password at once as not retryable (execution-failed, auth)', async () => {
    const answer = await signedAction(relay, {
      requestId: 'wrong-1',
      target: 'bmc-wrong',
      action: 'off',
      deadlineMs: 5000,
    });
    // One ipmitool call, no retries: the deadline was not waited for.
    expect(answer.json['steps']).toHaveLength(1);
    expect(answer.json['elapsedMs']).toBeLessThan(2000);
    expect(answer.status).toBe(502);
    expect(answer.json).toMatchObject({
      code: 'execution-failed',
      reason: 'auth',
      retryable: false,
    });
    const driver = relayDriverFor(relay, 'bmc-wrong');
    await expect(driver.powerState(fenceTarget(), AbortSignal.timeout(5000))).rejects.toMatchObject(
      {
        code: 'relay-execution-failed',
        retryable: false,
      },
    );
  });

  it('passes the password as a 0600 file with -f when configured, and removes the file', async () => {
    const answer = await signedAction(relay, {
      requestId: 'file-1',
      target: 'bmc-file',
      action: 'off',
      deadlineMs: 5000,
    });
    expect(answer.json).toMatchObject({ verified: true });
    const call = recorder.calls.find((c) => c.args.includes('-f'));
    const file = call?.args[call.args.indexOf('-f') + 1] ?? '';
    expect(call?.envNames).not.toContain('IPMI_PASSWORD');
    expect(file).toMatch(/fencer-relay-/);
    expect(existsSync(file)).toBe(false);
  });

  it('passes a BMC key (Kg) through IPMI_KGKEY with -K; without it the session fails', async () => {
    const ok = await signedAction(relay, {
      requestId: 'kg-1',
      target: 'bmc-kg',
      action: 'off',
      deadlineMs: 5000,
    });
    expect(ok.json).toMatchObject({ verified: true, powerState: 'off' });
    const call = recorder.calls.find((c) => c.args.includes('-K'));
    expect(call?.envNames).toContain('IPMI_KGKEY');
    expect(call?.args.join(' ')).not.toContain(kg);
    const missing = await signedAction(relay, {
      requestId: 'kg-2',
      target: 'bmc-kg-missing',
      action: 'status',
      deadlineMs: 1500,
    });
    expect(missing.status).toBeGreaterThanOrEqual(500);
    for (const line of relay.logLines) expect(line).not.toContain(kg);
  });

  it('reads the power state for status', async () => {
    const answer = await signedAction(relay, {
      requestId: 'status-1',
      target: 'bmc-a',
      action: 'status',
      deadlineMs: 3000,
    });
    expect(answer.json).toMatchObject({ powerState: 'on', verified: true, action: 'status' });
    expect(await bmc.count('power_off')).toBe(0);
  });
});

describe('secrets', () => {
  it('never put the BMC password in any argv, /proc cmdline, answer step or log line', async () => {
    // Prepare: one more of each action, so this test stands on its own.
    await signedAction(relay, {
      requestId: 'secret-1',
      target: 'bmc-a',
      action: 'off',
      deadlineMs: 3000,
    });
    await signedAction(relay, {
      requestId: 'secret-2',
      target: 'bmc-file',
      action: 'status',
      deadlineMs: 3000,
    });
    // Assess
    expect(recorder.calls.length).toBeGreaterThan(10);
    for (const call of recorder.calls) expect(call.args.join(' ')).not.toContain(bmc.password);
    for (const cmdline of cmdlines) expect(cmdline).not.toContain(bmc.password);
    expect(relay.logLines.length).toBeGreaterThan(5);
    for (const line of relay.logLines) {
      expect(line).not.toContain(bmc.password);
      expect(line).not.toContain('not-the-password');
    }
    const audit = relay.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['audit'] === 'action');
    expect(audit.find((l) => l['requestId'] === 'secret-1')).toMatchObject({
      target: 'bmc-a',
      action: 'off',
      verified: true,
      steps: expect.arrayContaining([
        expect.objectContaining({ command: expect.stringContaining('-E chassis power off') }),
      ]),
    });
    // Nothing of the password-file mode is left behind.
    const files = recorder.calls
      .filter((c) => c.args.includes('-f'))
      .map((c) => c.args[c.args.indexOf('-f') + 1] ?? '');
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) expect(existsSync(dirname(file))).toBe(false);
  });
});
