import { describe, expect, it } from 'vitest';
import { connectionBudget, openFileLimit } from '../../../relay-agent/limits.ts';
import { LogLimiter } from '../../../relay-agent/logLimiter.ts';
import { FakeClock } from '../../support/fakeClock.ts';

const limits = {
  maxConnections: 128,
  maxRunningActions: 8,
  maxQueuedActions: 64,
  keepAliveSeconds: 600,
};

describe('connection budget', () => {
  it('reads the soft open-file limit of /proc/self/limits', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units\n' +
      'Max open files            256                  524288               files\n';
    expect(openFileLimit(() => text)).toBe(256);
    expect(openFileLimit(() => 'Max open files  unlimited  unlimited  files\n')).toBeUndefined();
    expect(
      openFileLimit(() => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
    expect(openFileLimit()).toBeGreaterThan(0);
  });

  it('lowers maxConnections to what the open-file limit holds beside the running actions', () => {
    expect(connectionBudget(limits, 65_536)).toEqual({ maxConnections: 128, lowered: false });
    expect(connectionBudget({ ...limits, maxConnections: 1000 }, 256)).toEqual({
      maxConnections: 256 - 64 - 6 * 8,
      lowered: true,
    });
    expect(connectionBudget(limits, undefined)).toEqual({ maxConnections: 128, lowered: false });
  });
});

describe('LogLimiter', () => {
  it('writes at most 20 lines per window, then one line with the count of the rest', () => {
    // Prepare
    const clock = new FakeClock();
    const lines: string[] = [];
    const logger = { warn: (_fields: unknown, msg: string) => lines.push(msg) };
    const limiter = new LogLimiter(logger as never, clock, 'refused requests');
    // Act
    for (let i = 0; i < 50; i++) limiter.log(() => lines.push(`refused ${i}`));
    clock.advance(10_000);
    limiter.log(() => lines.push('refused after'));
    // Assess
    expect(lines.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `refused ${i}`));
    expect(lines.slice(20)).toEqual([
      '30 more refused requests not logged (at most 20 lines per 10 s)',
      'refused after',
    ]);
  });
});
