import type { QueueClient } from '@azure/storage-queue';

/** The queue message that drives the worker: which incident to look at. */
export interface FenceMessage {
  cluster: string;
  incidentId: string;
}

export interface FenceQueue {
  /** `delayMs` rounds up to whole seconds (Storage Queue visibility timeouts are seconds). */
  send(message: FenceMessage, delayMs?: number): Promise<void>;
}

/**
 * Messages are base64 JSON, the Functions host's default `messageEncoding`, so the queue
 * trigger and the local poller read the same bytes.
 */
export function encodeMessage(message: FenceMessage): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

export function decodeMessage(text: string): FenceMessage {
  const json = text.trimStart().startsWith('{')
    ? text
    : Buffer.from(text, 'base64').toString('utf8');
  const value = JSON.parse(json) as Partial<FenceMessage>;
  if (typeof value.cluster !== 'string' || typeof value.incidentId !== 'string') {
    throw new Error('fence message needs cluster and incidentId');
  }
  return { cluster: value.cluster, incidentId: value.incidentId };
}

export class StorageFenceQueue implements FenceQueue {
  constructor(
    private readonly queue: QueueClient,
    /** Called after each send, so a local poller can wake at once instead of waiting to poll. */
    private readonly onSend?: (delayMs: number) => void,
  ) {}

  async send(message: FenceMessage, delayMs = 0): Promise<void> {
    const visibilityTimeout = Math.ceil(Math.max(0, delayMs) / 1000);
    await this.queue.sendMessage(
      encodeMessage(message),
      visibilityTimeout > 0 ? { visibilityTimeout } : {},
    );
    this.onSend?.(visibilityTimeout * 1000);
  }
}
