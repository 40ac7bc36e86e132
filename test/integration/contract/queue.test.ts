import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueuePoller } from '../../../cli/queuePoller.ts';
import { systemClock } from '../../../core/clock.ts';
import { decodeMessage, type FenceMessage } from '../../../core/ledger/fenceQueue.ts';
import { silentLog } from '../../../core/log.ts';
import { ledgerKinds, openTestLedger, type TestLedger } from '../../support/ledgers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something; fails after `ms`. */
async function until<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`nothing within ${ms} ms`);
}

/**
 * The ledger contract, fence queue: written once, run on SQLite and on Storage Queues.
 * Visibility timeouts are a second here (Storage Queues count whole seconds).
 */
describe.each(ledgerKinds)('%s ledger: the fence queue', (kind) => {
  let ledger: TestLedger;
  const sent: number[] = [];
  beforeAll(async () => {
    ledger = await openTestLedger(kind, 'queue', { onEnqueue: (delayMs) => sent.push(delayMs) });
  });
  afterAll(() => ledger?.close());

  it('hides a received message for its visibility timeout, then redelivers it counted', async () => {
    // Prepare
    await ledger.queue.send({ cluster: 'q', incidentId: 'i-1' });
    expect(sent).toEqual([0]);

    // Act + Assess
    const [first, ...others] = await ledger.consumer.receive(8, 1_000);
    expect(others).toEqual([]);
    expect(first?.dequeueCount).toBe(1);
    expect(decodeMessage(first?.text ?? '')).toEqual({ cluster: 'q', incidentId: 'i-1' });
    expect(await ledger.consumer.receive(8, 1_000)).toEqual([]);
    const second = await until(async () => (await ledger.consumer.receive(8, 5_000))[0], 4_000);
    expect(second).toMatchObject({ id: first?.id, dequeueCount: 2 });
    expect(second.receipt).not.toBe(first?.receipt);
    // The first delivery's receipt is stale: its worker may not delete what is redelivered.
    if (first) await expect(ledger.consumer.delete(first)).rejects.toThrow();
    const renewed = await ledger.consumer.extend(second, 5_000);
    await expect(ledger.consumer.delete(second)).rejects.toThrow();
    await ledger.consumer.delete(renewed);
    await sleep(1_200);
    expect(await ledger.consumer.receive(8, 1_000)).toEqual([]);
  });

  it('delays a message sent with a delay', async () => {
    await ledger.queue.send({ cluster: 'q', incidentId: 'later' }, 1_000);
    expect(await ledger.consumer.receive(8, 1_000)).toEqual([]);
    const item = await until(async () => (await ledger.consumer.receive(8, 5_000))[0], 4_000);
    expect(decodeMessage(item.text).incidentId).toBe('later');
    await ledger.consumer.delete(item);
  });

  it('the poller hands a message that keeps failing to the poison handler after N deliveries', async () => {
    // Prepare: a handler that always fails.
    const deliveries: number[] = [];
    const poisoned: FenceMessage[] = [];
    const poller = startQueuePoller({
      queue: ledger.consumer,
      clock: systemClock,
      log: silentLog,
      maxDequeueCount: 2,
      visibilitySeconds: 1,
      idlePollMs: 100,
      handle: async () => {
        deliveries.push(Date.now());
        throw new Error('driver down');
      },
      poison: async (message) => void poisoned.push(message),
    });

    // Act
    await ledger.queue.send({ cluster: 'q', incidentId: 'bad' });
    await until(async () => (poisoned.length > 0 ? true : undefined), 8_000);
    await poller.stop(1_000);

    // Assess: two failed deliveries, then the poison handler once, then the message is gone.
    expect(deliveries).toHaveLength(2);
    expect(poisoned).toEqual([{ cluster: 'q', incidentId: 'bad' }]);
    await sleep(1_200);
    expect(await ledger.consumer.receive(8, 1_000)).toEqual([]);
  });
});
