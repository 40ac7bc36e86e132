import { app, type InvocationContext } from '@azure/functions';
import { decodeMessage, type FenceMessage } from '../core/ledger/fenceQueue.ts';
import { processFenceMessage, processPoisonMessage } from '../core/worker/fenceWorker.ts';
import { getRuntime, invocationLog } from './deps.ts';

/** The host hands over the decoded message: JSON as an object, anything else as text. */
export function toFenceMessage(entry: unknown): FenceMessage {
  return typeof entry === 'string' ? decodeMessage(entry) : decodeMessage(JSON.stringify(entry));
}

/**
 * Runs the fence of one incident. Throwing makes the host redeliver the message; after
 * `maxDequeueCount` it lands in the poison queue, whose trigger ends the incident `failed`.
 */
export async function fenceWorkerHandler(
  entry: unknown,
  context: InvocationContext,
): Promise<void> {
  const runtime = await getRuntime();
  const result = await processFenceMessage(
    { ...runtime, log: invocationLog(context) },
    toFenceMessage(entry),
  );
  if (result === 'aborted') throw new Error('fence stopped without a verdict; redeliver');
}

export async function fencePoisonHandler(
  entry: unknown,
  context: InvocationContext,
): Promise<void> {
  const runtime = await getRuntime();
  await processPoisonMessage({ ...runtime, log: invocationLog(context) }, toFenceMessage(entry));
}

app.storageQueue('fenceWorker', {
  queueName: 'fencer-fence',
  connection: 'AzureWebJobsStorage',
  handler: fenceWorkerHandler,
});
app.storageQueue('fencePoison', {
  queueName: 'fencer-fence-poison',
  connection: 'AzureWebJobsStorage',
  handler: fencePoisonHandler,
});
