import type { Clock } from '../core/clock.ts';
import { timeoutSignal } from '../core/clock.ts';
import type { LoadedConfig } from '../core/config/load.ts';
import type { DriverEntry } from '../core/config/schema.ts';
import { checkSigningSecret } from '../core/config/secrets.ts';
import {
  createDriver,
  type DriverFactoryContext,
  driverContextOf,
} from '../core/drivers/registry.ts';
import type { RelayMailbox } from '../core/drivers/relayMailbox.ts';
import type { DriverCheck } from '../core/drivers/types.ts';
import { errorMessage } from '../core/errors.ts';

/** One fence path (a device of a level of a node) and what the checks found. */
export interface PathReport {
  cluster: string;
  node: string;
  /** 1-based; 0 for the node's own signing key. */
  level: number;
  device: string;
  ok: boolean;
  checks: DriverCheck[];
}

export interface DoctorOptions {
  loaded: LoadedConfig;
  clock: Clock;
  cluster?: string;
  /** Per device; a hung endpoint must not hang the doctor. */
  timeoutMs?: number;
  onProgress?: (what: string) => void;
  /** Pull-mode relays are reached through the ledger's mailbox (their last poll, their actions). */
  relayMailbox?: RelayMailbox;
}

/**
 * `fencer doctor`: a non-destructive check of every fence path. It never powers anything off:
 * it resolves secrets, builds each driver, and runs the driver's own checks (credentials,
 * reachability, permission such as EC2 DryRun) or, for drivers without them, reads the power state.
 */
export async function runDoctor(options: DoctorOptions): Promise<PathReport[]> {
  const drivers = {
    ...driverContextOf(options.loaded, options.clock),
    ...(options.relayMailbox ? { relayMailbox: options.relayMailbox } : {}),
  };
  const reports: PathReport[] = [];
  for (const [clusterName, cluster] of Object.entries(options.loaded.config.clusters)) {
    if (options.cluster && options.cluster !== clusterName) continue;
    for (const [nodeName, node] of Object.entries(cluster.nodes)) {
      options.onProgress?.(`${clusterName}/${nodeName}: signing key`);
      reports.push({
        cluster: clusterName,
        node: nodeName,
        level: 0,
        device: 'signing key',
        ...keyCheck(options, node.key.secretRef),
      });
      for (const [index, devices] of node.levels.entries()) {
        for (const device of devices) {
          options.onProgress?.(`${clusterName}/${nodeName}: level ${index + 1}`);
          reports.push(
            await checkDevice(options, drivers, clusterName, nodeName, index + 1, device),
          );
        }
      }
    }
  }
  return reports;
}

function keyCheck(options: DoctorOptions, ref: string): { ok: boolean; checks: DriverCheck[] } {
  try {
    const weak = checkSigningSecret(options.loaded.secret(ref));
    if (weak)
      return {
        ok: false,
        checks: [
          { name: 'secret', ok: false, detail: weak, fix: 'openssl rand -base64 32 > KEYFILE' },
        ],
      };
    return { ok: true, checks: [{ name: 'secret', ok: true, detail: `${ref} resolves` }] };
  } catch (err) {
    return {
      ok: false,
      checks: [{ name: 'secret', ok: false, detail: errorMessage(err), fix: `provide ${ref}` }],
    };
  }
}

async function checkDevice(
  options: DoctorOptions,
  drivers: DriverFactoryContext,
  cluster: string,
  node: string,
  level: number,
  device: DriverEntry,
): Promise<PathReport> {
  const base = { cluster, node, level };
  let driver: Awaited<ReturnType<typeof createDriver>>;
  try {
    driver = await createDriver(device, drivers);
  } catch (err) {
    return {
      ...base,
      device: Object.keys(device)[0] ?? '?',
      ok: false,
      checks: [
        {
          name: 'driver',
          ok: false,
          detail: errorMessage(err),
          fix: 'fix this device in fencer.yaml',
        },
      ],
    };
  }
  const timer = timeoutSignal(options.clock, options.timeoutMs ?? 20_000);
  const target = {
    cluster,
    node,
    incidentId: 'doctor',
    attemptId: `doctor.${cluster}.${node}.${level}.${options.clock.now()}`,
  };
  try {
    const checks: DriverCheck[] = driver.check
      ? await driver.check(target, timer.signal)
      : [await readState(() => driver.powerState(target, timer.signal))];
    return { ...base, device: driver.description, ok: checks.every((c) => c.ok), checks };
  } catch (err) {
    const detail = timer.signal.aborted
      ? `no answer within ${(options.timeoutMs ?? 20_000) / 1000} s`
      : errorMessage(err);
    return {
      ...base,
      device: driver.description,
      ok: false,
      checks: [
        { name: 'check', ok: false, detail, fix: 'check that the endpoint is reachable from here' },
      ],
    };
  } finally {
    timer.cancel();
  }
}

async function readState(read: () => Promise<string>): Promise<DriverCheck> {
  const state = await read();
  if (state === 'unknown')
    return {
      name: 'power state',
      ok: false,
      detail: 'reads unknown',
      fix: 'the device answers but its state is unknown; check it by hand',
    };
  return { name: 'power state', ok: true, detail: `reads ${state}` };
}
