import { setMaxListeners } from 'node:events';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import {
  decodeMessage,
  type FenceMessage,
  type QueueConsumer,
  type ReceivedMessage,
} from '../core/ledger/fenceQueue.ts';
import type { Log } from '../core/log.ts';

export interface PollerOptions {
  queue: QueueConsumer;
  clock: Clock;
  log: Log;
  handle(message: FenceMessage, signal: AbortSignal): Promise<unknown>;
  poison(message: FenceMessage): Promise<void>;
  /** Like the Functions host's queues.maxDequeueCount. */
  maxDequeueCount?: number;
  /** Idle poll interval; `wake()` cuts it short when our own API just enqueued. */
  idlePollMs?: number;
  /** A message is invisible this long while handled, and renewed; a crash frees it after this. */
  visibilitySeconds?: number;
  concurrency?: number;
}

/**
 * The local host's queue trigger: polls fast, wakes at once on its own sends, runs each
 * message with the same worker as the Functions app, deletes it when handled, and gives up
 * (poison) after `maxDequeueCount` deliveries. `stop()` drains in-flight work.
 */
export function startQueuePoller(options: PollerOptions) {
  const idlePollMs = options.idlePollMs ?? 250;
  const visibilityMs = (options.visibilitySeconds ?? 30) * 1000;
  const maxDequeue = options.maxDequeueCount ?? 5;
  const concurrency = options.concurrency ?? 8;
  const stopping = new AbortController();
  /** Aborts fences still running when the drain time is over (they resume after a restart). */
  const abortWork = new AbortController();
  // Every running fence listens on it (up to `concurrency` at once).
  setMaxListeners(0, abortWork.signal);
  const running = new Set<Promise<void>>();
  let nap: AbortController | undefined;
  /** A wake that came while we were receiving: skip the next sleep. */
  let woken = false;
  const wake = () => {
    woken = true;
    nap?.abort();
  };

  const runOne = async (item: ReceivedMessage) => {
    let current = item;
    // Keep the message invisible while we work, so a long fence is not delivered twice.
    const renew = setInterval(() => {
      options.queue
        .extend(current, visibilityMs)
        .then((updated) => {
          current = updated;
        })
        .catch(() => undefined);
    }, visibilityMs / 3);
    try {
      let message: FenceMessage | undefined;
      try {
        message = decodeMessage(item.text);
      } catch (err) {
        // Not ours to run, ever: drop it once it has been looked at often enough.
        if (item.dequeueCount > maxDequeue) await options.queue.delete(current);
        throw err;
      }
      if (item.dequeueCount > maxDequeue) await options.poison(message);
      else await options.handle(message, abortWork.signal);
      // A stop mid-fence leaves the message for the next start (redelivery after `visibility`).
      if (!abortWork.signal.aborted) await options.queue.delete(current);
    } catch (err) {
      options.log.warn(
        { err: errorMessage(err), dequeueCount: item.dequeueCount },
        'fence message failed; it will be redelivered',
      );
    } finally {
      clearInterval(renew);
    }
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let got = 0;
      try {
        if (running.size < concurrency) {
          const received = await options.queue.receive(
            Math.min(32, concurrency - running.size),
            visibilityMs,
          );
          got = received.length;
          for (const item of received) {
            const task = runOne(item).finally(() => running.delete(task));
            running.add(task);
          }
        }
      } catch (err) {
        options.log.warn({ err: errorMessage(err) }, 'queue poll failed');
      }
      if (got === 0 && !woken && !stopping.signal.aborted) {
        // A wake cancels the sleep, so early wakes do not pile up pending timers and listeners.
        nap = new AbortController();
        await options.clock
          .sleep(idlePollMs, AbortSignal.any([nap.signal, stopping.signal]))
          .catch(() => undefined);
        nap = undefined;
      }
      woken = false;
    }
  })();

  return {
    wake,
    /** Stops receiving, lets running fences finish for up to `drainMs`, then aborts the rest. */
    async stop(drainMs = 30_000): Promise<void> {
      stopping.abort(new Error('host stopping'));
      wake();
      await loop;
      const drained = Promise.allSettled([...running]);
      const timer = setTimeout(() => abortWork.abort(new Error('host stopping')), drainMs);
      await drained;
      clearTimeout(timer);
    },
  };
}
