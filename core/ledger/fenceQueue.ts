/** The queue message that drives the worker: which incident to look at. */
export interface FenceMessage {
  cluster: string;
  incidentId: string;
}

export interface FenceQueue {
  /** `delayMs` rounds up to whole seconds (Storage Queue visibility timeouts are seconds). */
  send(message: FenceMessage, delayMs?: number): Promise<void>;
}

/** A delivered message: invisible to other receivers until its visibility timeout ends. */
export interface ReceivedMessage {
  id: string;
  /** Changes on every delivery and renewal; deletes and renewals need the latest. */
  receipt: string;
  /** The message as sent (see `decodeMessage`). */
  text: string;
  /** 1 on the first delivery; a message nobody deleted comes back with one more. */
  dequeueCount: number;
}

/**
 * The receiving side of the fence queue (the local host's poller; in Azure the Functions
 * host's queue trigger does this itself). At-least-once: a message received and not deleted
 * within its visibility timeout is delivered again.
 */
export interface QueueConsumer {
  receive(max: number, visibilityMs: number): Promise<ReceivedMessage[]>;
  /** Keeps a message invisible `visibilityMs` longer; the updated message (new receipt). */
  extend(message: ReceivedMessage, visibilityMs: number): Promise<ReceivedMessage>;
  /** Fails when the receipt is stale (the message was redelivered meanwhile). */
  delete(message: ReceivedMessage): Promise<void>;
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
