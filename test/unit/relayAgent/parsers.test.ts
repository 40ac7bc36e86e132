import { describe, expect, it } from 'vitest';
import { parsePowerStatus } from '../../../relay-agent/executors/ipmitool.ts';
import { parseGetstate } from '../../../relay-agent/executors/vmwareCmd.ts';
import { mapPowerState } from '../../../relay-agent/executors/vsphere.ts';

/**
 * DESIGN invariant 8 in the relay's executors: what a tool printed is `off` only when it says
 * off, once and unambiguously. Empty, garbled or contradicting output reads `unknown`, with a
 * detail that says why. (esxcli's list is tested against its stand-in in test/relay.)
 */
describe('ipmitool chassis power status', () => {
  it('reads `Chassis Power is off` / `on`', () => {
    expect(parsePowerStatus('Chassis Power is off\n')).toEqual({ state: 'off' });
    expect(parsePowerStatus('Chassis Power is on\n')).toEqual({ state: 'on' });
  });

  it.each([
    ['empty output', ''],
    ['a status it does not know', 'Chassis Power is unknown\n'],
    ['other output', 'Get Device ID command failed\n'],
    ['contradicting lines', 'Chassis Power is off\nChassis Power is on\n'],
  ])('reads %s as unknown, with a detail', (_what, stdout) => {
    const reading = parsePowerStatus(stdout);
    expect(reading.state).toBe('unknown');
    expect(reading.detail).toMatch(/^ipmitool answered no single chassis power state/);
  });
});

describe('vmware-cmd getstate', () => {
  it.each([
    ['empty output', '', 'no getstate() = <state> in the answer'],
    ['a suspended VM', 'getstate() = suspended\n', 'getstate() = suspended'],
    ['a stuck VM', 'getstate() = stuck\n', 'getstate() = stuck'],
  ])('reads %s as unknown', (_what, stdout, detail) => {
    expect(parseGetstate(stdout)).toEqual({ state: 'unknown', detail: `vmware-cmd ${detail}` });
  });

  it('reads getstate() = off as off', () => {
    expect(parseGetstate('getstate() = off\n')).toEqual({ state: 'off' });
  });
});

describe('vSphere runtime.powerState', () => {
  it('reads a missing property as unknown (not-found) and suspended as unknown', () => {
    expect(mapPowerState(undefined)).toMatchObject({ state: 'unknown', detail: /^not-found/ });
    expect(mapPowerState('')).toMatchObject({ state: 'unknown', detail: /^not-found/ });
    expect(mapPowerState('suspended')).toEqual({
      state: 'unknown',
      detail: 'runtime.powerState is suspended',
    });
    expect(mapPowerState('poweredOff')).toEqual({ state: 'off' });
  });
});
