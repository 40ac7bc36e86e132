import { describe, expect, it } from 'vitest';
import type { DriverEntry } from '../../../core/config/schema.ts';
import type { DriverSource } from '../../../core/drivers/driverCache.ts';
import type { FenceDriver } from '../../../core/drivers/types.ts';
import type { PowerState } from '../../../core/protocol/power.ts';
import { levelState, readNodePower } from '../../../core/readiness/powerRead.ts';
import { FakeClock } from '../../support/fakeClock.ts';

/** Devices by status file name: a state, an error, or a read that never answers. */
type Behaviour = PowerState | 'error' | 'hang';

function fakeDrivers(behaviour: Record<string, Behaviour>, calls: string[]): DriverSource {
  return {
    async get(entry: DriverEntry): Promise<FenceDriver> {
      const name = entry.dummy?.statusFile ?? '';
      const what = behaviour[name] ?? 'error';
      return {
        kind: 'dummy',
        description: `dummy ${name}`,
        async powerOff() {
          calls.push(`off ${name}`);
        },
        async powerOn() {
          calls.push(`on ${name}`);
        },
        powerState(): Promise<PowerState> {
          calls.push(`read ${name}`);
          if (what === 'hang') return new Promise(() => {});
          if (what === 'error') return Promise.reject(new Error(`${name} refused`));
          return Promise.resolve(what);
        },
      };
    },
  };
}

const device = (name: string): DriverEntry => ({ dummy: { statusFile: name } });

describe('a level’s power', () => {
  it.each([
    [['off'], 'off'],
    [['off', 'off'], 'off'],
    [['off', 'on'], 'on'],
    [['unknown', 'on'], 'on'],
    [['off', 'unknown'], 'unknown'],
    [['unknown'], 'unknown'],
    [[], 'unknown'],
  ] as const)('%j → %s', (states, expected) => {
    expect(levelState([...states])).toBe(expected);
  });
});

describe('readNodePower', () => {
  it('answers from the first level that answers; a hung level 1 gets its share of the time only', async () => {
    // Prepare
    const clock = new FakeClock();
    const calls: string[] = [];
    const drivers = fakeDrivers({ bmc: 'hang', pdu: 'off' }, calls);
    const start = clock.now();

    // Act
    const reading = await clock.run(
      readNodePower(
        { drivers, clock },
        'c',
        'n',
        [[device('bmc')], [device('pdu')]],
        start + 10_000,
      ),
    );

    // Assess: level 1 had half of the 10 s, level 2 answered off.
    expect(reading).toMatchObject({ powerState: 'off', level: 2 });
    expect(reading.devices[0]).toMatchObject({
      level: 1,
      powerState: 'unknown',
      detail: 'no answer within 5000 ms',
    });
    expect(clock.now() - start).toBe(5_000);
    expect(calls).toEqual(['read bmc', 'read pdu']);
  });

  it('is unknown, never off, when no level answers; the reason names every device', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const drivers = fakeDrivers({ bmc: 'error', pdu: 'unknown', psu2: 'off' }, calls);
    const reading = await clock.run(
      readNodePower(
        { drivers, clock },
        'c',
        'n',
        [[device('bmc')], [device('pdu'), device('psu2')]],
        clock.now() + 10_000,
      ),
    );
    expect(reading.powerState).toBe('unknown');
    expect(reading.level).toBeUndefined();
    expect(reading.detail).toBe(
      'no level answered: level 1 dummy bmc read failed: bmc refused; level 2 dummy pdu reads unknown; level 2 dummy psu2 reads off',
    );
    // Reading only: nothing was powered off or on.
    expect(calls.filter((c) => !c.startsWith('read'))).toEqual([]);
  });

  it('a level left with no time is not read, and says so', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const drivers = fakeDrivers({ bmc: 'hang', pdu: 'on' }, calls);
    const reading = await clock.run(
      readNodePower({ drivers, clock }, 'c', 'n', [[device('bmc')]], clock.now() + 3_000),
    );
    expect(reading).toMatchObject({ powerState: 'unknown' });
    const late = await readNodePower({ drivers, clock }, 'c', 'n', [[device('pdu')]], clock.now());
    expect(late.devices).toEqual([
      {
        level: 1,
        driver: 'dummy',
        description: '',
        powerState: 'unknown',
        detail: 'not read: out of time',
      },
    ]);
    expect(calls).toEqual(['read bmc']);
  });
});
