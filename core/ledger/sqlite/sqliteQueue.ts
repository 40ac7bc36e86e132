import { randomBytes } from 'node:crypto';
import { LedgerError } from '../../errors.ts';
import {
  encodeMessage,
  type FenceMessage,
  type FenceQueue,
  type QueueConsumer,
  type ReceivedMessage,
} from '../fenceQueue.ts';
import type { GroupCommit } from './groupCommit.ts';

interface QueueRow {
  id: number;
  text: string;
  dequeue_count: number;
}

/**
 * The fence queue as a table: a message is visible from `visible_at` on; receiving it hides
 * it for the visibility timeout, counts the delivery and hands out a fresh receipt, which a
 * delete or renewal must show (a redelivered message's old receipt is stale). Times are the
 * ledger clock's (milliseconds; no rounding to seconds as on Storage Queues).
 */
export class SqliteFenceQueue implements FenceQueue, QueueConsumer {
  private readonly sql;

  constructor(
    private readonly commit: GroupCommit,
    private readonly now: () => number,
    private readonly onSend?: (delayMs: number) => void,
  ) {
    const db = commit.db;
    this.sql = {
      send: db.prepare('INSERT INTO fence_queue (text, visible_at) VALUES (?, ?)'),
      visible: db.prepare<[number, number], QueueRow>(
        'SELECT id, text, dequeue_count FROM fence_queue WHERE visible_at <= ? ORDER BY visible_at, id LIMIT ?',
      ),
      take: db.prepare(
        'UPDATE fence_queue SET visible_at = ?, receipt = ?, dequeue_count = dequeue_count + 1 WHERE id = ?',
      ),
      extend: db.prepare(
        'UPDATE fence_queue SET visible_at = ?, receipt = ? WHERE id = ? AND receipt = ?',
      ),
      delete: db.prepare('DELETE FROM fence_queue WHERE id = ? AND receipt = ?'),
    };
  }

  async send(message: FenceMessage, delayMs = 0): Promise<void> {
    const delay = Math.max(0, delayMs);
    this.commit.write(() => this.sql.send.run(encodeMessage(message), this.now() + delay));
    this.onSend?.(delay);
  }

  async receive(max: number, visibilityMs: number): Promise<ReceivedMessage[]> {
    const now = this.now();
    const limit = Math.max(1, max);
    // An idle poll takes no write lock; the rows are read again under it (another process).
    if (this.sql.visible.all(now, limit).length === 0) return [];
    return this.commit.write(() =>
      this.sql.visible.all(now, limit).map((row) => {
        const receipt = randomBytes(8).toString('hex');
        this.sql.take.run(now + visibilityMs, receipt, row.id);
        return {
          id: String(row.id),
          receipt,
          text: row.text,
          dequeueCount: row.dequeue_count + 1,
        };
      }),
    );
  }

  async extend(message: ReceivedMessage, visibilityMs: number): Promise<ReceivedMessage> {
    const receipt = randomBytes(8).toString('hex');
    const { changes } = this.commit.write(() =>
      this.sql.extend.run(this.now() + visibilityMs, receipt, Number(message.id), message.receipt),
    );
    if (changes !== 1) throw staleReceipt(message);
    return { ...message, receipt };
  }

  async delete(message: ReceivedMessage): Promise<void> {
    const { changes } = this.commit.write(() =>
      this.sql.delete.run(Number(message.id), message.receipt),
    );
    if (changes !== 1) throw staleReceipt(message);
  }
}

const staleReceipt = (message: ReceivedMessage) =>
  new LedgerError('stale-receipt', `message ${message.id} was redelivered or deleted meanwhile`);
