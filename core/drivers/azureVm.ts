import { ComputeManagementClient } from '@azure/arm-compute';
import { type ComputeManagementContext, createComputeManagement } from '@azure/arm-compute/api';
import type { TokenCredential } from '@azure/identity';
import type { z } from 'zod';
import type { azureVmOptions } from '../config/schema.ts';
import { DriverError } from '../errors.ts';
import type { PowerState } from '../protocol/power.ts';
import {
  azureCredentialFix,
  createAzureCredential,
  describeAzureCredential,
} from './azureCredential.ts';
import { azureDriverError } from './azureErrors.ts';
import { azureFenceActions, permits, readVmPermissions } from './azurePermissions.ts';
import { readTrustedCas, untilAborted } from './cloudCommon.ts';
import type { DriverFactoryContext } from './registry.ts';
import type { DriverCheck, FenceDriver } from './types.ts';

export type AzureVmOptions = z.infer<typeof azureVmOptions>;

/**
 * The ARM operation of a hard power-off settles within seconds; polling it often costs little
 * and the engine's signal bounds the wait. (A Retry-After on the operation still wins.)
 */
const lroPollMs = 250;

interface AzureClients {
  credential: TokenCredential;
  compute: ComputeManagementClient;
  /** The REST-level client, for the permissions API that arm-compute has no method for. */
  context: ComputeManagementContext;
  scope: string;
}

/** The subset of core-lro's PollerLike used here. */
interface Lro {
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  readonly operationState?: { status: string; error?: Error } | undefined;
}

/**
 * azure-vm: `powerOff(skipShutdown=true)` (like `az vm stop --skip-shutdown`), power state from
 * the instance view. Retries, backoff and verification belong to the engine, so the SDK's own
 * retries are off and every call carries the engine's AbortSignal.
 */
export function createAzureVmDriver(
  options: AzureVmOptions,
  ctx: DriverFactoryContext,
): FenceDriver {
  const { resourceGroup, vmName } = options;
  const description = `azure-vm ${resourceGroup}/${vmName}`;
  const vmScope = `/subscriptions/${enc(options.subscriptionId)}/resourceGroups/${enc(resourceGroup)}/providers/Microsoft.Compute/virtualMachines/${enc(vmName)}`;
  let built: Promise<AzureClients> | undefined;

  /** Built on first use, so a missing secret or CA file fails the call, not the config load. */
  const clients = (): Promise<AzureClients> => {
    built ??= buildClients(options, ctx, description).catch((err: unknown) => {
      built = undefined;
      throw err;
    });
    return built;
  };

  const call = async <T>(
    operation: string,
    signal: AbortSignal,
    run: (c: AzureClients) => Promise<T>,
  ): Promise<T> => {
    try {
      return await untilAborted(
        clients().then((c) => run(c)),
        signal,
      );
    } catch (err) {
      throw azureDriverError(err, `${description} ${operation}`, ctx.clock.now());
    }
  };

  const instanceView = (signal: AbortSignal) =>
    call('instanceView', signal, (c) =>
      c.compute.virtualMachines.instanceView(resourceGroup, vmName, { abortSignal: signal }),
    );

  const lro = (operation: string, signal: AbortSignal, start: (c: AzureClients) => Lro) =>
    call(operation, signal, async (c) => {
      const poller = start(c);
      try {
        await poller.pollUntilDone({ abortSignal: signal });
      } catch (err) {
        // core-lro reports a Failed/Canceled operation as a plain Error; its state says which.
        const status = poller.operationState?.status;
        if (status === 'failed' || status === 'canceled') {
          throw new DriverError(
            `operation-${status}`,
            `${description} ${operation}: the ARM operation ${status}: ${(err as Error).message}`,
            { retryable: true, cause: err },
          );
        }
        throw err;
      }
    });

  return {
    kind: 'azure-vm',
    description,
    async powerOff(_target, signal) {
      await lro('powerOff', signal, (c) =>
        c.compute.virtualMachines.powerOff(resourceGroup, vmName, {
          skipShutdown: true,
          abortSignal: signal,
          updateIntervalInMs: lroPollMs,
        }),
      );
    },
    async powerState(_target, signal): Promise<PowerState> {
      return azurePowerState((await instanceView(signal)).statuses);
    },
    async powerOn(_target, signal) {
      await lro('start', signal, (c) =>
        c.compute.virtualMachines.start(resourceGroup, vmName, {
          abortSignal: signal,
          updateIntervalInMs: lroPollMs,
        }),
      );
    },
    async check(_target, signal): Promise<DriverCheck[]> {
      const checks: DriverCheck[] = [];
      const who = describeAzureCredential(options.credential);
      let c: AzureClients;
      try {
        c = await call('token', signal, async (cl) => {
          await cl.credential.getToken(cl.scope, { abortSignal: signal });
          return cl;
        });
        checks.push({ name: 'credential', ok: true, detail: `${who} got a token for ${c.scope}` });
      } catch (err) {
        const e = err as DriverError;
        const fix =
          e.code === 'config-invalid' ? 'fix the ca: path' : azureCredentialFix(options.credential);
        checks.push({ name: 'credential', ok: false, detail: e.message, fix });
        return checks;
      }
      try {
        const view = await instanceView(signal);
        const code = view.statuses?.find((s) => /^PowerState\//i.test(s.code ?? ''))?.code;
        const state = azurePowerState(view.statuses);
        checks.push({
          name: 'power state',
          ok: state !== 'unknown',
          powerState: state,
          detail: `${vmName}: ${code ?? 'no PowerState'} (${state})`,
          ...(state === 'unknown' ? { fix: unknownStateFix } : {}),
        });
      } catch (err) {
        checks.push(failedCheck('power state', err as DriverError, vmScope));
      }
      try {
        const granted = await call('permissions', signal, (cl) =>
          readVmPermissions(cl.context, vmScope, signal),
        );
        const missing = [azureFenceActions.powerOff, azureFenceActions.read].filter(
          (action) => !permits(granted, action),
        );
        checks.push(
          missing.length === 0
            ? { name: 'power-off permission', ok: true, detail: `${who} may power off ${vmName}` }
            : {
                name: 'power-off permission',
                ok: false,
                detail: `${who} lacks ${missing.join(', ')} on ${vmScope}`,
                fix: roleFix,
              },
        );
      } catch (err) {
        checks.push(failedCheck('power-off permission', err as DriverError, vmScope));
      }
      return checks;
    },
  };
}

/**
 * PowerState/stopped and /deallocated are off, /running on; stopping, starting, … keep polling.
 * No PowerState, or PowerStates that disagree, prove nothing: unknown.
 */
export function azurePowerState(statuses: { code?: string }[] | undefined): PowerState {
  const codes = new Set(
    (statuses ?? [])
      .map((s) => s.code?.toLowerCase() ?? '')
      .filter((c) => c.startsWith('powerstate/')),
  );
  const [code] = codes;
  if (codes.size !== 1) return 'unknown';
  if (code === 'powerstate/stopped' || code === 'powerstate/deallocated') return 'off';
  if (code === 'powerstate/running') return 'on';
  return 'unknown';
}

const unknownStateFix =
  'the instance view shows no single running/stopped/deallocated PowerState: a fence cannot be verified until it does (check the VM in the portal; a VM in transition settles)';

const roleFix =
  'assign the identity a role with Microsoft.Compute/virtualMachines/powerOff/action, start/action and instanceView/read on the VM (Virtual Machine Contributor, or a custom fencing role)';

function failedCheck(name: string, err: DriverError, vmScope: string): DriverCheck {
  const fixes: Record<string, string> = {
    'not-found': `check subscriptionId, resourceGroup and vmName: ${vmScope} does not exist`,
    unauthorized: roleFix,
    throttled: 'ARM is throttling this subscription; try again shortly',
    'tls-untrusted': 'the endpoint certificate is not trusted: set ca: to its CA file',
  };
  return {
    name,
    ok: false,
    detail: err.message,
    fix: fixes[err.code] ?? 'check endpoint and network',
  };
}

async function buildClients(
  options: AzureVmOptions,
  ctx: DriverFactoryContext,
  description: string,
): Promise<AzureClients> {
  const trustedCas = await readTrustedCas(options.ca, ctx.baseDir, description);
  const credential = createAzureCredential(
    {
      ...(options.credential ? { credential: options.credential } : {}),
      ...(options.authorityHost ? { authorityHost: options.authorityHost } : {}),
      ...(trustedCas ? { trustedCas } : {}),
    },
    (ref) => ctx.secret(ref),
  );
  const endpoint = options.endpoint?.replace(/\/+$/, '');
  // arm-compute asks for a management.azure.com token whatever the endpoint; a sovereign or
  // private ARM endpoint needs a token for itself.
  const scope = `${endpoint ? new URL(endpoint).origin : 'https://management.azure.com'}/.default`;
  const clientOptions = {
    ...(endpoint ? { endpoint } : {}),
    credentials: { scopes: [scope] },
    // No SDK retries: a 429's Retry-After must reach the engine, which retries within the level.
    retryOptions: { maxRetries: 0 },
    ...(trustedCas ? { tlsOptions: { ca: trustedCas } } : {}),
    userAgentOptions: { userAgentPrefix: 'fencer' },
  };
  return {
    credential,
    compute: new ComputeManagementClient(credential, options.subscriptionId, clientOptions),
    context: createComputeManagement(credential, options.subscriptionId, clientOptions),
    scope,
  };
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
