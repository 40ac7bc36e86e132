import type { Clock } from '../clock.ts';
import type { NodeConfig } from '../config/schema.ts';
import type { DriverSource } from '../drivers/driverCache.ts';
import type { FenceDriver } from '../drivers/types.ts';
import { errorMessage } from '../errors.ts';
import type { Attempt } from '../protocol/api.ts';

/**
 * Builds the drivers of every level of a node. A level that cannot even be built (a bad
 * credential reference, a missing relay) is empty and reported as a `config` attempt, so the
 * other levels still get their chance.
 */
export async function buildLevels(
  node: NodeConfig,
  drivers: DriverSource,
  clock: Clock,
): Promise<{ levels: FenceDriver[][]; failures: Attempt[] }> {
  const failures: Attempt[] = [];
  const levels = await Promise.all(
    node.levels.map(async (devices, index) => {
      try {
        return await Promise.all(devices.map((device) => drivers.get(device)));
      } catch (err) {
        const now = new Date(clock.now()).toISOString();
        failures.push({
          level: index + 1,
          driver: 'config',
          startedAt: now,
          endedAt: now,
          outcome: 'error',
          detail: errorMessage(err),
        });
        return [];
      }
    }),
  );
  return { levels, failures: failures.sort((a, b) => a.level - b.level) };
}
