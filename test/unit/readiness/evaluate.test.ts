import { describe, expect, it } from 'vitest';
import type { DriverEntry } from '../../../core/config/schema.ts';
import type { FenceDriver } from '../../../core/drivers/types.ts';
import { type ConfiguredDevice, checkDevice } from '../../../core/readiness/deviceChecks.ts';
import { deviceResult, nodeReadiness } from '../../../core/readiness/evaluate.ts';
import { probeOf } from '../../../core/readiness/probe.ts';
import { pickDue } from '../../../core/readiness/tick.ts';
import type { DeviceRecord } from '../../../core/readiness/types.ts';
import { FakeClock } from '../../support/fakeClock.ts';

describe('node readiness (DESIGN "Readiness")', () => {
  it.each([
    [[['ok'], ['failing']], 'ready'],
    [[['ok', 'ok']], 'ready'],
    [[['ok', 'failing'], ['ok']], 'degraded'],
    [[['failing'], ['failing', 'ok'], ['ok']], 'degraded'],
    [[['failing'], ['failing']], 'unfenceable'],
    [[['unchecked'], ['unchecked']], 'unchecked'],
    [[['failing'], ['unchecked']], 'unchecked'],
    [[['unchecked'], ['ok']], 'degraded'],
  ] as const)('%j → %s', (levels, expected) => {
    expect(nodeReadiness(levels.map((l) => [...l]))).toBe(expected);
  });
});

describe('a device check', () => {
  it('is ok only when every check passed and the power state was read', () => {
    expect(deviceResult([], 'on')).toMatchObject({ status: 'ok', powerState: 'on' });
    expect(deviceResult([], 'unknown')).toMatchObject({ status: 'failing' });
    const failing = deviceResult([
      { name: 'power state', ok: true, detail: 'vm: running', powerState: 'on' },
      {
        name: 'power-off permission',
        ok: false,
        detail: 'lacks powerOff/action',
        fix: 'assign the role',
      },
    ]);
    expect(failing).toMatchObject({ status: 'failing', powerState: 'on' });
    expect(failing.detail).toContain(
      'power-off permission: lacks powerOff/action (fix: assign the role)',
    );
  });

  it('a member node read off is still ready, and the detail says so', () => {
    expect(deviceResult([], 'off')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('reads off'),
    });
  });

  it('never calls powerOff or powerOn: the probe has neither', async () => {
    const calls: string[] = [];
    const driver: FenceDriver = {
      kind: 'dummy',
      description: 'trap',
      async powerOff() {
        calls.push('off');
        throw new Error('a check powered something off');
      },
      async powerOn() {
        calls.push('on');
        throw new Error('a check powered something on');
      },
      async powerState() {
        calls.push('state');
        return 'on';
      },
    };
    const probe = probeOf(driver);
    expect(Object.keys(probe).sort()).toEqual(['description', 'kind', 'powerState']);
    // @ts-expect-error a readiness probe cannot power anything off
    expect(probe.powerOff).toBeUndefined();
    const clock = new FakeClock();
    const device: ConfiguredDevice = {
      node: 'n',
      level: 1,
      index: 0,
      entry: { dummy: { statusFile: 'x' } },
      fingerprint: 'f',
      account: 'local',
    };
    const result = await clock.run(
      checkDevice(device, 'c', { drivers: { get: async () => driver }, clock }, 20_000),
    );
    expect(result).toMatchObject({ status: 'ok', powerState: 'on', description: 'trap' });
    expect(calls).toEqual(['state']);
  });
});

describe('which devices a tick checks', () => {
  const device = (node: string, account: string): ConfiguredDevice => ({
    node,
    level: 1,
    index: 0,
    entry: { dummy: { statusFile: node } } as DriverEntry,
    fingerprint: 'f',
    account,
  });
  const checked = (node: string, at: number) =>
    ({ node, level: 1, index: 0, fingerprint: 'f', checkedAt: at }) as DeviceRecord;

  it('never-checked first; an account’s checks spread over the interval', () => {
    const devices = Array.from({ length: 20 }, (_, i) => device(`n${i}`, 'azure:sub-1'));
    // 20 devices of one subscription, 300 s interval, 30 s ticks: 2 per tick.
    expect(pickDue(devices, [], 0, 300_000, 30_000)).toHaveLength(2);
    const others = [device('x', 'relay:dc1'), device('y', 'aws:eu-west-1')];
    expect(pickDue([...devices, ...others], [], 0, 300_000, 30_000)).toHaveLength(4);
  });

  it('a device is due again one interval after its last check', () => {
    const d = device('n', 'local');
    expect(pickDue([d], [checked('n', 1_000)], 300_999, 300_000, 5_000)).toEqual([]);
    expect(pickDue([d], [checked('n', 1_000)], 301_000, 300_000, 5_000)).toEqual([d]);
  });

  it('a device whose node changed state since its last check is due at once', () => {
    const d = device('n', 'local');
    const records = [checked('n', 1_000)];
    expect(pickDue([d], records, 5_000, 300_000, 5_000, () => 2_000)).toEqual([d]);
    expect(pickDue([d], records, 5_000, 300_000, 5_000, () => 500)).toEqual([]);
  });
});
