import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../../relay-agent/config.ts';
import type { PowerExecutor } from '../../relay-agent/executors/types.ts';
import { rawRequest, signedAction } from './peers/client.ts';
import { type RelayInProcess, startRelayInProcess, writeRelayConfig } from './peers/relay.ts';
import { makeTestPki } from './peers/tls.ts';

/**
 * The relay's bounds over HTTPS, with devices that answer when the test says so: the cap on
 * actions in flight (503, not remembered), an action that waits past its deadline (504, never
 * started), and a flood of refused requests (a few short log lines and a count).
 */
let dir: string;
let relay: RelayInProcess;
/** Per target: resolves the power-off that is running on it. */
const gates = new Map<string, () => void>();
const started: string[] = [];

function gatedExecutor(target: ResolvedTarget): PowerExecutor {
  return {
    description: `gated ${target.name}`,
    callTimeoutMs: 10_000,
    powerOff: () =>
      new Promise<void>((resolve) => {
        started.push(target.name);
        gates.set(target.name, resolve);
      }),
    powerOn: async () => undefined,
    powerState: async () => ({ state: 'off' }),
  };
}

const ipmi = (host: string) => ({
  ipmi: { host, user: 'u', password: { secretRef: 'env:LIMITS_TEST_PW' } },
});

beforeAll(async () => {
  process.env['LIMITS_TEST_PW'] = 'pw';
  dir = mkdtempSync(join(tmpdir(), 'relay-limits-'));
  const pki = makeTestPki(dir);
  const config = writeRelayConfig({
    dir,
    pki,
    targets: { a: ipmi('10.0.0.1'), b: ipmi('10.0.0.2'), c: ipmi('10.0.0.3') },
    extra: { limits: { maxRunningActions: 2, maxQueuedActions: 2 } },
  });
  relay = await startRelayInProcess({ ...config, ca: pki.caCert, executorFor: gatedExecutor });
});

afterAll(async () => {
  for (const open of gates.values()) open();
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const off = (target: string, requestId: string, deadlineMs = 5000) =>
  signedAction(relay, { requestId, target, action: 'off', deadlineMs });

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

describe('relay limits', () => {
  it('answers 503 unavailable past maxQueuedActions, and takes the same requestId later', async () => {
    // Prepare: two actions hold both places.
    const first = off('a', 'cap-a');
    const second = off('b', 'cap-b');
    await until(() => started.includes('a') && started.includes('b'));
    // Act
    const refused = await off('c', 'cap-c');
    gates.get('a')?.();
    gates.get('b')?.();
    const [a, b] = await Promise.all([first, second]);
    const retried = off('c', 'cap-c');
    await until(() => started.includes('c'));
    gates.get('c')?.();
    // Assess
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json).toMatchObject({ code: 'unavailable', retryable: true });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await retried).json).toMatchObject({ verified: true, powerState: 'off' });
  });

  it('answers 504 for an action that waited its deadline behind another, and never starts it', async () => {
    const before = started.length;
    const running = off('a', 'wait-1', 5000);
    await until(() => started.length === before + 1);
    const waited = await off('a', 'wait-2', 600);
    gates.get('a')?.();
    await running;
    await new Promise((r) => setTimeout(r, 100));
    expect(waited.status).toBe(504);
    expect(waited.json).toMatchObject({ code: 'deadline-exceeded', retryable: true, steps: [] });
    expect(String(waited.json['detail'])).toMatch(
      /waited \d+ ms behind earlier actions \(on its device/,
    );
    expect(started.slice(before)).toEqual(['a']);
  });

  it('logs a flood of refused requests as a few lines with their paths cut to 256 characters', async () => {
    const before = relay.logLines.length;
    const long = `/v1/${'x'.repeat(4000)}`;
    for (let i = 0; i < 6; i++) {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          rawRequest(relay.url, { method: 'GET', path: long, ca: relay.ca }),
        ),
      );
    }
    const refusals = relay.logLines
      .slice(before)
      .map((l) => JSON.parse(l) as { refused?: string; path?: string; msg?: string })
      .filter((l) => l.refused === 'not-found');
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.length).toBeLessThanOrEqual(20);
    for (const line of refusals) {
      expect(line.path?.length).toBeLessThanOrEqual(256);
      expect(line.msg?.length).toBeLessThanOrEqual(512);
    }
  });
});
