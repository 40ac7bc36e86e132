import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock.ts';
import type { RelayConfig } from '../../../core/config/schema.ts';
import { DriverCache } from '../../../core/drivers/driverCache.ts';

const dir = mkdtempSync(join(tmpdir(), 'driver-cache-'));
const ctx = {
  clock: systemClock,
  baseDir: dir,
  secret: (ref: string) => {
    if (ref === 'env:MISSING') throw new Error('environment variable MISSING is not set');
    return 'x';
  },
  relays: {},
};

describe('DriverCache', () => {
  it('gives every use of one device the same driver (warm clients, tokens, connections)', async () => {
    const cache = new DriverCache(ctx);
    const a = await cache.get({ dummy: { statusFile: 'a.json' } });
    expect(await cache.get({ dummy: { statusFile: 'a.json' } })).toBe(a);
    expect(await cache.get({ dummy: { statusFile: 'b.json' } })).not.toBe(a);
  });

  it('does not keep a driver that could not be built: the next use tries again', async () => {
    const relays: Record<string, RelayConfig> = {};
    const cache = new DriverCache({ ...ctx, relays });
    const entry = { relay: { relay: 'dc1', target: 't' } };
    await expect(cache.get(entry)).rejects.toThrow(/dc1/);
    relays.dc1 = { url: 'https://relay.example:7443', keyName: 'k', key: { secretRef: 'env:K' } };
    expect((await cache.get(entry)).kind).toBe('relay');
  });
});
