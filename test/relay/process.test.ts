import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { type BmcSim, startBmcSim } from './peers/bmcSim.ts';
import { rawRequest, signedAction } from './peers/client.ts';
import {
  ipmiTargetFor,
  type RelayProcess,
  relayUnitNodeArgs,
  startRelayProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki, type TestPki } from './peers/tls.ts';

/** `fencer-relay` as the operator runs it: its own process, signals, logs, the built bundle. */
let dir: string;
let pki: TestPki;
let bmc: BmcSim;
let relay: RelayProcess;
let config: { file: string; keyName: string; key: string };
const repo = join(import.meta.dirname, '../..');

const writeTargets = (targets: Record<string, unknown>) =>
  writeRelayConfig({ dir, pki, targets, key: config?.key, file: join(dir, 'relay.yaml') });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-process-'));
  pki = makeTestPki(dir);
  bmc = await startBmcSim({ dir });
  config = writeTargets({ 'bmc-a': ipmiTargetFor(bmc, dir) });
  relay = await startRelayProcess({ ...config, ca: pki.caCert });
});

afterAll(async () => {
  await relay?.stop();
  await bmc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await bmc.set({ mode: 'normal', power: 'on', offDelayMs: 0, clearEvents: true });
});

/** Every process's argv on this host that holds `needle` (excluding none: tests own no such argv). */
function argvHolding(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('fencer-relay process', () => {
  it('logs `listening on https://HOST:PORT` and answers health there', async () => {
    expect(relay.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await relay.waitForLine((l) => l.includes(`listening on ${relay.url}`))).toBeTruthy();
    const health = await rawRequest(relay.url, {
      method: 'GET',
      path: '/v1/health',
      ca: pki.caCert,
    });
    expect(health.status).toBe(200);
  });

  it('reloads on SIGHUP without dropping an action in flight', async () => {
    await bmc.set({ mode: 'delayed-off', offDelayMs: 1200 });
    const inFlight = signedAction(relay, {
      requestId: 'hup-1',
      target: 'bmc-a',
      action: 'off',
      deadlineMs: 6000,
    });
    await new Promise((r) => setTimeout(r, 300));
    // The new config drops bmc-a and adds bmc-b.
    writeTargets({ 'bmc-b': ipmiTargetFor(bmc, dir) });
    relay.reload();
    await relay.waitForLine((l) => l.includes('config reloaded'));
    const answer = await inFlight;
    expect(answer.json).toMatchObject({ verified: true, powerState: 'off' });
    const gone = await signedAction(relay, {
      requestId: 'hup-2',
      target: 'bmc-a',
      action: 'status',
      deadlineMs: 3000,
    });
    const added = await signedAction(relay, {
      requestId: 'hup-3',
      target: 'bmc-b',
      action: 'status',
      deadlineMs: 3000,
    });
    expect([gone.status, added.status]).toEqual([404, 200]);
    writeTargets({ 'bmc-a': ipmiTargetFor(bmc, dir) });
    relay.reload();
  });

  it('keeps the running config when a reload does not load', async () => {
    writeFileSync(join(dir, 'relay.yaml'), 'listen: nowhere\n');
    relay.reload();
    const line = await relay.waitForLine((l) => l.includes('reload failed'));
    expect(line).toContain('listen');
    writeTargets({ 'bmc-a': ipmiTargetFor(bmc, dir) });
    const answer = await signedAction(relay, {
      requestId: 'hup-4',
      target: 'bmc-a',
      action: 'status',
      deadlineMs: 3000,
    });
    expect(answer.status).toBe(200);
  });

  it('runs ipmitool without the password in any argv on the host, nor in any log line', async () => {
    await bmc.set({ mode: 'dead' });
    const action = signedAction(relay, {
      requestId: 'proc-1',
      target: 'bmc-a',
      action: 'status',
      deadlineMs: 1500,
    });
    await new Promise((r) => setTimeout(r, 400));
    // ipmitool is stuck on the dead BMC now: it is a child of the relay.
    const children = execFileSync('ps', ['-o', 'args=', '--ppid', String(relay.peer.pid)], {
      encoding: 'utf8',
    });
    expect(children).toContain('ipmitool');
    expect(children).toContain('-E');
    expect(argvHolding(bmc.password)).toEqual([]);
    expect((await action).status).toBe(504);
    expect(relay.peer.lines.length).toBeGreaterThan(3);
    for (const line of relay.peer.lines) expect(line).not.toContain(bmc.password);
    expect(relay.peer.stderr()).not.toContain(bmc.password);
  });

  it('finishes an action in flight on SIGTERM, then exits 0', async () => {
    const own = await startRelayProcess({ ...config, ca: pki.caCert });
    await bmc.set({ mode: 'delayed-off', offDelayMs: 800 });
    const inFlight = signedAction(own, {
      requestId: 'term-1',
      target: 'bmc-a',
      action: 'off',
      deadlineMs: 5000,
    });
    await new Promise((r) => setTimeout(r, 200));
    const exited = new Promise<number | null>((resolve) => own.peer.child.once('exit', resolve));
    process.kill(own.peer.pid, 'SIGTERM');
    expect((await inFlight).json).toMatchObject({ verified: true });
    expect(await exited).toBe(0);
  });
});

describe('fencer-relay --check and the single-file build', () => {
  it('lists config problems by path with exit code 2', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'listen: 127.0.0.1:7443\ntls: { cert: /nope.crt, key: /nope.key }\nkeys: { k: { secretRef: env:NOPE } }\ntargets: { t: { ipmi: { host: h } } }\n',
    );
    const result = spawnSync(
      process.execPath,
      [join(repo, 'bin/fencer-relay.js'), '--config', bad, '--check'],
      {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] },
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('targets.t.ipmi.user');
    expect(result.stderr).toContain('targets.t.ipmi.password');
  });

  it('prints its version and help (exit 0), and refuses an unknown option with exit code 2', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(repo, 'bin/fencer-relay.js'), ...args], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] },
      });
    const version = run('--version');
    expect([version.status, version.stdout.trim()]).toEqual([0, packageJson.version]);
    const help = run('-h');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--config <file>');
    const unknown = run('--confg', 'relay.yaml');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--confg'");
  });

  it('builds dist/fencer-relay.mjs that runs without node_modules, as the unit starts it', async () => {
    const out = join(dir, 'bundle', 'fencer-relay.mjs');
    execFileSync(process.execPath, [join(repo, 'relay-agent/build.mjs'), out], {
      cwd: repo,
      stdio: 'pipe',
    });
    // ASCII only: V8 keeps the whole file as a string, two bytes per character otherwise.
    expect(readFileSync(out).every((byte) => byte < 0x80)).toBe(true);
    const bundled = await startRelayProcess({
      ...config,
      ca: pki.caCert,
      entry: out,
      nodeArgs: relayUnitNodeArgs(),
    });
    try {
      const answer = await signedAction(bundled, {
        requestId: 'bundle-1',
        target: 'bmc-a',
        action: 'off',
        deadlineMs: 4000,
      });
      expect(answer.json).toMatchObject({ verified: true, powerState: 'off' });
    } finally {
      await bundled.stop();
    }
  });
});
