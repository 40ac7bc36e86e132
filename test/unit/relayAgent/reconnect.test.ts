import { describe, expect, it } from 'vitest';
import { defaultPullBackoff, reconnectDelayMs } from '../../../relay-agent/pullLoop.ts';

describe('pull loop reconnect backoff', () => {
  it('doubles from 0.5 s to a 15 s ceiling, each wait jittered within the upper half', () => {
    // Act
    const lowest = [1, 2, 3, 4, 5, 6, 10, 40].map((n) =>
      reconnectDelayMs(n, defaultPullBackoff, () => 0),
    );
    const highest = [1, 2, 3, 4, 5, 6, 10, 40].map((n) =>
      reconnectDelayMs(n, defaultPullBackoff, (below) => below - 1),
    );
    const spread = new Set(
      Array.from({ length: 200 }, () => reconnectDelayMs(6, defaultPullBackoff)),
    );

    // Assess
    expect(highest).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(lowest).toEqual([250, 500, 1000, 2000, 4000, 7500, 7500, 7500]);
    expect(spread.size).toBeGreaterThan(50);
    for (const ms of spread) expect(ms).toBeGreaterThanOrEqual(7500);
  });
});
