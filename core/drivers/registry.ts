import type { Clock } from '../clock.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { DriverEntry, RelayConfig } from '../config/schema.ts';
import type { RelayMailbox } from './relayMailbox.ts';
import type { DriverContext, DriverKind, FenceDriver } from './types.ts';

/** Everything a driver factory may need; built once by the composition root. */
export interface DriverFactoryContext extends DriverContext {
  /** Resolves a secretRef of the config (`env:NAME` / `file:PATH`). */
  secret(ref: string): string;
  relays: Readonly<Record<string, RelayConfig>>;
  /** Where pull-mode relays pick up their actions (the ledger); absent where none is open. */
  relayMailbox?: RelayMailbox;
}

/** The driver context of a loaded config: relative paths, secrets and relays come from it. */
export function driverContextOf(loaded: LoadedConfig, clock: Clock): DriverFactoryContext {
  return { clock, baseDir: loaded.baseDir, secret: loaded.secret, relays: loaded.config.relays };
}

export function driverKindOf(entry: DriverEntry): DriverKind {
  if (entry.dummy) return 'dummy';
  if (entry['azure-vm']) return 'azure-vm';
  if (entry['aws-ec2']) return 'aws-ec2';
  return 'relay';
}

/**
 * Builds the driver of one device. Each kind's module (and its SDK) is imported only when a
 * target of that kind is first used, so the entry bundle stays small and starts fast.
 */
export async function createDriver(
  entry: DriverEntry,
  ctx: DriverFactoryContext,
): Promise<FenceDriver> {
  if (entry.dummy) return (await import('./dummy.ts')).createDummyDriver(entry.dummy, ctx);
  if (entry['azure-vm'])
    return (await import('./azureVm.ts')).createAzureVmDriver(entry['azure-vm'], ctx);
  if (entry['aws-ec2'])
    return (await import('./awsEc2.ts')).createAwsEc2Driver(entry['aws-ec2'], ctx);
  if (entry.relay) return (await import('./relay.ts')).createRelayDriver(entry.relay, ctx);
  throw new Error(`driver kind ${driverKindOf(entry)} is not available in this build`);
}
