import type { DriverEntry, FencerConfig } from '../config/schema.ts';
import { createDriver, type DriverFactoryContext } from './registry.ts';
import type { FenceDriver } from './types.ts';

/**
 * One driver per device for the life of the process: its SDK client, credential (and token
 * cache) and TLS agent are built once and reused by every fence, power-on and readiness check,
 * so a fence after weeks of idling finds them warm instead of paying for them on its critical
 * path. A driver that could not be built is not kept: the next use tries again.
 */
/** Where the engine, power-ons and readiness checks get a device's driver. */
export interface DriverSource {
  get(entry: DriverEntry): Promise<FenceDriver>;
}

export class DriverCache implements DriverSource {
  private readonly drivers = new Map<string, Promise<FenceDriver>>();

  constructor(private readonly ctx: DriverFactoryContext) {}

  get(entry: DriverEntry): Promise<FenceDriver> {
    // The entry's options are the device's identity (same options, same driver).
    const key = JSON.stringify(entry);
    let driver = this.drivers.get(key);
    if (!driver) {
      driver = createDriver(entry, this.ctx).catch((err: unknown) => {
        this.drivers.delete(key);
        throw err;
      });
      this.drivers.set(key, driver);
    }
    return driver;
  }

  /**
   * Builds the driver of every device in the config (their modules and SDKs load now, in the
   * background after start, not on the first fence). Failures are left for that fence to report.
   */
  async warmUp(config: FencerConfig): Promise<void> {
    const entries = Object.values(config.clusters).flatMap((c) =>
      Object.values(c.nodes).flatMap((n) => n.levels.flat()),
    );
    await Promise.allSettled(entries.map((entry) => this.get(entry)));
  }
}
