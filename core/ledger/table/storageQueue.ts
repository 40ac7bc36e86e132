import type { QueueClient } from '@azure/storage-queue';
import {
  encodeMessage,
  type FenceMessage,
  type FenceQueue,
  type QueueConsumer,
  type ReceivedMessage,
} from '../fenceQueue.ts';

/** Storage Queue visibility timeouts are whole seconds: round up, never to zero. */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The fence queue on Azure Storage Queues (the Functions host's queue trigger reads it too). */
export class StorageFenceQueue implements FenceQueue, QueueConsumer {
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

  async receive(max: number, visibilityMs: number): Promise<ReceivedMessage[]> {
    const { receivedMessageItems } = await this.queue.receiveMessages({
      numberOfMessages: Math.max(1, Math.min(32, max)),
      visibilityTimeout: seconds(visibilityMs),
    });
    return receivedMessageItems.map((item) => ({
      id: item.messageId,
      receipt: item.popReceipt,
      text: item.messageText,
      dequeueCount: item.dequeueCount,
    }));
  }

  async extend(message: ReceivedMessage, visibilityMs: number): Promise<ReceivedMessage> {
    const updated = await this.queue.updateMessage(
      message.id,
      message.receipt,
      undefined,
      seconds(visibilityMs),
    );
    return { ...message, receipt: updated.popReceipt ?? message.receipt };
  }

  async delete(message: ReceivedMessage): Promise<void> {
    await this.queue.deleteMessage(message.id, message.receipt);
  }
}
