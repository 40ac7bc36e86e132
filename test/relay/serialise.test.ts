import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BmcEvent, type BmcSim, sessionsOf, startBmcSim } from './peers/bmcSim.ts';
import { type RawAnswer, signedAction } from './peers/client.ts';
import {
  ipmiTargetFor,
  type RelayInProcess,
  startRelayInProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki } from './peers/tls.ts';

/**
 * Issue 10 hole 7: ten ipmitool sessions ran at once against one BMC, an off and an on
 * interleaved. Real ipmitool against simulated BMCs, whose event logs record every session
 * (open, close, client port) and chassis command: one BMC never sees two sessions at once and
 * gets the commands in arrival order; different BMCs are served in parallel up to the bound.
 */
let dir: string;
let bmcs: BmcSim[];
let relay: RelayInProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-serialise-'));
  const pki = makeTestPki(dir);
  bmcs = await Promise.all(['a', 'b', 'c'].map((name) => startBmcSim({ dir, name })));
  const [a, b, c] = bmcs as [BmcSim, BmcSim, BmcSim];
  const config = writeRelayConfig({
    dir,
    pki,
    targets: {
      'bmc-a': ipmiTargetFor(a, dir),
      // A second name for the same BMC: it must not open a second way in.
      'bmc-a-again': ipmiTargetFor(a, dir, { passwordVia: 'file' }),
      'bmc-b': ipmiTargetFor(b, dir),
      'bmc-c': ipmiTargetFor(c, dir),
    },
    extra: { limits: { maxRunningActions: 2 } },
  });
  relay = await startRelayInProcess({ ...config, ca: pki.caCert });
});

afterAll(async () => {
  await relay?.stop();
  for (const bmc of bmcs ?? []) await bmc.stop();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const act = (target: string, action: string, deadlineMs = 15_000) =>
  signedAction(relay, { requestId: `ser-${seq++}`, target, action, deadlineMs });

async function until<T>(read: () => T | Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met within 10 s');
}

/** Sessions of one BMC never overlap: each opens after the one before it closed. */
function expectOneSessionAtATime(events: BmcEvent[]): void {
  const sessions = sessionsOf(events);
  expect(sessions.length).toBeGreaterThan(0);
  for (const [i, session] of sessions.entries()) {
    expect(session.closedAt, `session of client ${session.client} closed`).toBeDefined();
    const previous = sessions[i - 1];
    if (previous) expect(session.openedAt).toBeGreaterThanOrEqual(previous.closedAt ?? Infinity);
  }
}

describe('actions on one BMC', () => {
  it('run one at a time, in arrival order, whatever target name they use', async () => {
    // Prepare: the first off is held (the BMC turns off only when the test says so), so that
    // every later action arrives while it runs; each is sent once the one before is queued.
    const bmc = bmcs[0] as BmcSim;
    await bmc.set({ mode: 'delayed-off', offDelayMs: 600_000, power: 'on', clearEvents: true });
    const plan: [string, 'off' | 'on' | 'status'][] = [
      ['bmc-a', 'off'],
      ['bmc-a-again', 'on'],
      ['bmc-a', 'off'],
      ['bmc-a', 'status'],
      ['bmc-a-again', 'on'],
      ['bmc-a', 'off'],
      ['bmc-a-again', 'on'],
      ['bmc-a-again', 'off'],
      ['bmc-a', 'status'],
      ['bmc-a', 'on'],
    ];
    const answers: Promise<RawAnswer>[] = [];
    // Act
    for (const [i, [target, action]] of plan.entries()) {
      const requestId = `ser-${seq}`;
      answers.push(act(target, action));
      if (i === 0)
        await until(
          () => bmc.count('power_off'),
          (n) => n === 1,
        );
      else
        await until(
          () => relay.logLines,
          (lines) => lines.some((l) => queued(l, requestId)),
        );
    }
    await bmc.set({ mode: 'normal', power: 'off' });
    const results = await Promise.all(answers);
    // Assess
    expect(
      results.map((r) => [r.json['action'], r.json['powerState'], r.json['verified']]),
    ).toEqual(plan.map(([, action], i) => [action, expectedState(plan, i), true]));
    const events = await bmc.events();
    expectOneSessionAtATime(events);
    const commands = events
      .filter((e) => e.command === 'power_off' || e.command === 'power_on')
      .map((e) => e.command);
    expect(commands).toEqual(
      plan.filter(([, action]) => action !== 'status').map(([, action]) => `power_${action}`),
    );
  });
});

describe('actions on different BMCs', () => {
  it('run in parallel up to limits.maxRunningActions (2), the third when a slot frees', async () => {
    // Prepare: every off takes ~700 ms to take effect.
    for (const bmc of bmcs) {
      await bmc.set({ mode: 'delayed-off', offDelayMs: 700, power: 'on', clearEvents: true });
    }
    // Act
    const results = await Promise.all(['bmc-a', 'bmc-b', 'bmc-c'].map((t) => act(t, 'off')));
    // Assess
    expect(results.map((r) => r.json['verified'])).toEqual([true, true, true]);
    const spans = await Promise.all(
      bmcs.map(async (bmc) => {
        const events = await bmc.events();
        expectOneSessionAtATime(events);
        const sessions = sessionsOf(events);
        return { from: sessions[0]?.openedAt ?? 0, to: sessions.at(-1)?.closedAt ?? 0 };
      }),
    );
    spans.sort((x, y) => x.from - y.from);
    const [first, second, third] = spans as [
      (typeof spans)[0],
      (typeof spans)[0],
      (typeof spans)[0],
    ];
    // Two BMCs at once...
    expect(second.from).toBeLessThan(first.to);
    // ...and the third only once one of them was done.
    expect(third.from).toBeGreaterThanOrEqual(Math.min(first.to, second.to));
  });
});

/** The relay's line for an action that had to wait for its device. */
function queued(line: string, requestId: string): boolean {
  return line.includes(`"requestId":"${requestId}"`) && line.includes('queued behind');
}

/** What the BMC reads after action i of the plan: the last off/on before it, else on. */
function expectedState(plan: [string, string][], i: number): string {
  for (let j = i; j >= 0; j--) {
    const action = plan[j]?.[1];
    if (action === 'off' || action === 'on') return action;
  }
  return 'on';
}
