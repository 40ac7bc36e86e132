import type { Outbox, OutboxEntry } from '../notifications/outbox.ts';
import type { DocumentTable } from './ledger.ts';

/**
 * Partitions no cluster can have (names are alphanumeric): entries waiting for a try, and
 * settled ones (delivered, given up, or the per-event marker), kept until `expiresAt` so a
 * repair that produces an event again recognises it.
 */
const pending = '~outbox';
const settled = '~outbox-settled';
/** Settled entries are kept this long. */
const keepMs = 2 * 60 * 60 * 1000;
/** Pending entries are few (an hour of retries at most); read them whole. */
const maxPending = 5_000;
const everyRow = { below: '\uffff' };

const docOf = (entry: OutboxEntry, expiresAt?: number) => ({
  entry: JSON.stringify(entry),
  ...(expiresAt === undefined ? {} : { expiresAt }),
});

/**
 * The notification outbox on either ledger (DESIGN "Ledger": readiness entities and the
 * notification outbox live beside the incidents). Claims are conditional on the row's version,
 * so two senders (two Functions instances) never both send one try.
 */
export class LedgerOutbox implements Outbox {
  /** Versions of pending rows as `due` read them, for `claim`. */
  private readonly etags = new Map<string, string>();

  constructor(private readonly table: DocumentTable) {}

  async add(entries: OutboxEntry[]): Promise<string[]> {
    const added: string[] = [];
    for (const entry of entries) {
      // Settled already (delivered before a crash, produced again by a repair): nothing to do.
      if (await this.table.get(settled, entry.id)) continue;
      const created =
        entry.state === 'pending'
          ? await this.table.create(pending, entry.id, docOf(entry))
          : await this.table.create(settled, entry.id, docOf(entry, entry.nextAt + keepMs));
      if (created !== false) added.push(entry.id);
    }
    return added;
  }

  async due(now: number, limit: number): Promise<OutboxEntry[]> {
    const rows = await this.table.list(pending, everyRow, maxPending);
    const due: OutboxEntry[] = [];
    for (const row of rows) {
      const entry = JSON.parse(String(row.doc.entry)) as OutboxEntry;
      if (entry.nextAt > now) continue;
      this.etags.set(entry.id, row.etag);
      due.push(entry);
    }
    return due.sort((a, b) => a.createdAt - b.createdAt).slice(0, limit);
  }

  async claim(entry: OutboxEntry, until: number): Promise<boolean> {
    const etag = this.etags.get(entry.id);
    if (!etag) return false;
    const next = await this.table.replace(
      pending,
      entry.id,
      docOf({ ...entry, nextAt: until }),
      etag,
    );
    if (next === false) return false;
    this.etags.set(entry.id, next);
    return true;
  }

  async settle(entry: OutboxEntry): Promise<void> {
    this.etags.delete(entry.id);
    if (entry.state === 'pending') {
      await this.table.upsert(pending, entry.id, docOf(entry));
      return;
    }
    await this.table.upsert(settled, entry.id, docOf(entry, entry.nextAt + keepMs));
    await this.table.delete(pending, entry.id);
  }

  sweep(now: number): Promise<number> {
    return this.table.deleteExpired(settled, now);
  }
}
