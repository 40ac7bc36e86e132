import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDummyDriver } from '../../../core/drivers/dummy.ts';
import { FakeClock } from '../../support/fakeClock.ts';

const target = { cluster: 'c', node: 'n', incidentId: 'i', attemptId: 'a' };
const signal = new AbortController().signal;

function setup(
  options: { offDelayMs?: number; mode?: 'normal' | 'ignore' | 'error' | 'unknown' } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'fencer-dummy-'));
  const clock = new FakeClock();
  const driver = createDummyDriver({ statusFile: 'n.json', ...options }, { clock, baseDir: dir });
  const file = () => JSON.parse(readFileSync(join(dir, 'n.json'), 'utf8'));
  return { dir, clock, driver, file };
}

describe('dummy driver', () => {
  it('creates the file on, turns off after offDelayMs, counts calls', async () => {
    const { clock, driver, file } = setup({ offDelayMs: 1000 });
    expect(await driver.powerState(target, signal)).toBe('on');
    expect(file()).toEqual({ power: 'on', powerOffCalls: 0, powerOnCalls: 0 });
    await driver.powerOff(target, signal);
    expect(await driver.powerState(target, signal)).toBe('on');
    clock.advance(1000);
    expect(await driver.powerState(target, signal)).toBe('off');
    expect(file()).toEqual({ power: 'off', powerOffCalls: 1, powerOnCalls: 0 });
    await driver.powerOn?.(target, signal);
    expect(file()).toEqual({ power: 'on', powerOffCalls: 1, powerOnCalls: 1 });
  });

  it('ignore mode counts the call but never turns off', async () => {
    const { driver, file } = setup({ mode: 'ignore' });
    await driver.powerOff(target, signal);
    expect(await driver.powerState(target, signal)).toBe('on');
    expect(file().powerOffCalls).toBe(1);
  });

  it('error mode throws a retryable error on every call; unknown mode reads unknown', async () => {
    await expect(setup({ mode: 'error' }).driver.powerOff(target, signal)).rejects.toMatchObject({
      code: 'dummy-error',
      retryable: true,
    });
    expect(await setup({ mode: 'unknown' }).driver.powerState(target, signal)).toBe('unknown');
  });

  it('re-reads the file on every call (an operator may edit it) and rejects a corrupt one', async () => {
    const { dir, driver } = setup();
    writeFileSync(join(dir, 'n.json'), '{"power":"off","powerOffCalls":0,"powerOnCalls":0}');
    expect(await driver.powerState(target, signal)).toBe('off');
    writeFileSync(join(dir, 'n.json'), '{"power":"maybe"}');
    await expect(driver.powerState(target, signal)).rejects.toMatchObject({
      code: 'dummy-corrupt',
    });
  });

  it.each([
    ['an empty file', ''],
    ['a half-written file', '{"power":"of'],
    ['a file without power', '{"powerOffCalls":1}'],
    ['a power word it does not know', '{"power":"OFF"}'],
  ])('reads %s as an error, never off (invariant 8)', async (_what, text) => {
    const { dir, driver } = setup();
    writeFileSync(join(dir, 'n.json'), text);
    await expect(driver.powerState(target, signal)).rejects.toMatchObject({
      code: 'dummy-corrupt',
    });
  });

  it('reads a status file that is a directory as an error, never off', async () => {
    const { dir, driver } = setup();
    mkdirSync(join(dir, 'n.json'));
    await expect(driver.powerState(target, signal)).rejects.toMatchObject({
      code: 'dummy-unreadable',
    });
  });
});
