import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import type { dummyOptions } from '../config/schema.ts';
import { resolvePath } from '../config/secrets.ts';
import { DriverError } from '../errors.ts';
import type { PowerState } from '../protocol/power.ts';
import type { DriverContext, FenceDriver } from './types.ts';

/** What the status file holds. `offAt` is when a delayed power-off takes effect. */
export interface DummyStatus {
  power: 'on' | 'off';
  powerOffCalls: number;
  powerOnCalls: number;
  offAt?: number;
}

/**
 * Like ClusterLabs' fence_dummy: a power switch kept in a JSON file, for labs, demos and tests.
 * The file is re-read on every call (an operator may edit it) and written atomically.
 */
export function createDummyDriver(
  options: z.infer<typeof dummyOptions>,
  ctx: DriverContext,
): FenceDriver {
  const file = resolvePath(options.statusFile, ctx.baseDir);
  const mode = options.mode ?? 'normal';
  const offDelayMs = options.offDelayMs ?? 0;

  const failIfError = () => {
    if (mode === 'error')
      throw new DriverError('dummy-error', `dummy ${file}: mode is error`, { retryable: true });
  };

  return {
    kind: 'dummy',
    description: `dummy ${options.statusFile}`,
    async powerOff() {
      failIfError();
      const status = await readDummyStatus(file);
      status.powerOffCalls += 1;
      if (mode !== 'ignore' && status.power === 'on' && status.offAt === undefined) {
        if (offDelayMs === 0) status.power = 'off';
        else status.offAt = ctx.clock.now() + offDelayMs;
      }
      await writeDummyStatus(file, status);
    },
    async powerState(): Promise<PowerState> {
      failIfError();
      if (mode === 'unknown') return 'unknown';
      const status = await readDummyStatus(file);
      if (status.offAt !== undefined && status.offAt <= ctx.clock.now()) {
        status.power = 'off';
        delete status.offAt;
        await writeDummyStatus(file, status);
      }
      return status.power;
    },
    async powerOn() {
      failIfError();
      const status = await readDummyStatus(file);
      status.powerOnCalls += 1;
      status.power = 'on';
      delete status.offAt;
      await writeDummyStatus(file, status);
    },
  };
}

/** A missing file means a powered-on target that was never fenced; it is created `on`. */
export async function readDummyStatus(file: string): Promise<DummyStatus> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      const fresh: DummyStatus = { power: 'on', powerOffCalls: 0, powerOnCalls: 0 };
      await writeDummyStatus(file, fresh);
      return fresh;
    }
    throw new DriverError('dummy-unreadable', `dummy ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    const parsed = JSON.parse(text) as Partial<DummyStatus>;
    if (parsed.power !== 'on' && parsed.power !== 'off')
      throw new Error('power must be "on" or "off"');
    return {
      power: parsed.power,
      powerOffCalls: Number(parsed.powerOffCalls ?? 0),
      powerOnCalls: Number(parsed.powerOnCalls ?? 0),
      ...(typeof parsed.offAt === 'number' ? { offAt: parsed.offAt } : {}),
    };
  } catch (err) {
    throw new DriverError(
      'dummy-corrupt',
      `dummy ${file}: not a valid status file (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}

/** Write to a temporary file and rename it over the old one, so readers never see half a file. */
export async function writeDummyStatus(file: string, status: DummyStatus): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(status)}\n`);
  await rename(tmp, file);
}
