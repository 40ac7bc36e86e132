import type {
  AnswerOutcome,
  RelayAction,
  RelayActionResult,
  RelayActionState,
  RelayActionStore,
  TakeResult,
} from '../drivers/relayActions.ts';
import { LedgerError } from '../errors.ts';
import type { DocumentTable, StoredDocument } from './ledger.ts';

/**
 * A relay's mailbox is a partition no cluster can have (names start alphanumeric):
 * `~relay:NAME`. Rows are requestIds (`[A-Za-z0-9._:-]`), and `~poll` holds the last poll, so
 * one read of the partition is a poll's whole look. An action stays until it expires (minutes:
 * the level's deadline), so it holds a handful of rows; a withdrawn one is never handed out.
 */
const partitionOf = (relay: string) => `~relay:${relay}`;
const pollRow = '~poll';
const everyRow = { below: '\uffff' };
/** More actions than any poll takes; a mailbox this full is read in one go all the same. */
const maxRows = 1_000;
/** Conditional writes lost to a concurrent claim are re-read and tried again this often. */
const maxRaces = 8;

interface ActionDoc {
  state: RelayActionState['state'];
  headers: string;
  body: string;
  issuedAt: number;
  /** Also what the ledger's `deleteExpired` sweeps by. */
  expiresAt: number;
  visibleAt: number;
  deliveries: number;
  result?: string;
  answeredAt?: number;
}

/** Pull-relay actions on either ledger, through its `DocumentTable`. */
export class LedgerRelayActions implements RelayActionStore {
  constructor(private readonly table: DocumentTable) {}

  async put(action: RelayAction): Promise<boolean> {
    const doc: ActionDoc = {
      state: 'pending',
      headers: JSON.stringify(action.headers),
      body: action.body,
      issuedAt: action.issuedAt,
      expiresAt: action.expiresAt,
      visibleAt: action.issuedAt,
      deliveries: 0,
    };
    const created = await this.table.create(partitionOf(action.relay), action.requestId, {
      ...doc,
    });
    return created !== false;
  }

  async take(relay: string, now: number, visibilityMs: number, limit: number): Promise<TakeResult> {
    const rows = await this.table.list(partitionOf(relay), everyRow, maxRows);
    const latestPoll = rows.find((r) => r.row === pollRow)?.doc['pollId'];
    const due = rows
      .filter((r) => r.row !== pollRow)
      .map((r) => ({ row: r, doc: docOf(r) }))
      .filter(({ doc }) => doc.state === 'pending' && doc.visibleAt <= now && doc.expiresAt > now)
      .sort((a, b) => a.doc.issuedAt - b.doc.issuedAt);
    const actions: RelayAction[] = [];
    for (const { row, doc } of due) {
      if (actions.length >= limit) break;
      const claimed = { ...doc, visibleAt: now + visibilityMs, deliveries: doc.deliveries + 1 };
      // Lost: another poll claimed it, or its driver withdrew it, first.
      if (
        (await this.table.replace(partitionOf(relay), row.row, { ...claimed }, row.etag)) === false
      )
        continue;
      actions.push({
        relay,
        requestId: row.row,
        headers: JSON.parse(doc.headers) as Record<string, string>,
        body: doc.body,
        issuedAt: doc.issuedAt,
        expiresAt: doc.expiresAt,
      });
    }
    return { actions, ...(typeof latestPoll === 'string' ? { latestPoll } : {}) };
  }

  async answer(
    relay: string,
    requestId: string,
    result: RelayActionResult,
    now: number,
  ): Promise<AnswerOutcome> {
    for (let race = 0; race < maxRaces; race++) {
      const row = await this.row(relay, requestId);
      if (!row) return 'unknown';
      const doc = docOf(row);
      if (doc.state === 'answered') return 'duplicate';
      if (doc.state === 'withdrawn') return 'late';
      const answered: ActionDoc = {
        ...doc,
        state: 'answered',
        result: JSON.stringify(result),
        answeredAt: now,
      };
      const written = await this.table.replace(
        partitionOf(relay),
        requestId,
        { ...answered },
        row.etag,
      );
      if (written !== false) return 'stored';
    }
    throw new LedgerError('relay-action-contention', `answer of ${requestId}: too many races`, {
      retryable: true,
    });
  }

  async get(relay: string, requestId: string): Promise<RelayActionState | undefined> {
    const row = await this.row(relay, requestId);
    if (!row) return undefined;
    const doc = docOf(row);
    return {
      state: doc.state,
      deliveries: doc.deliveries,
      ...(doc.result ? { result: JSON.parse(doc.result) as RelayActionResult } : {}),
    };
  }

  async withdraw(relay: string, requestId: string): Promise<void> {
    for (let race = 0; race < maxRaces; race++) {
      const row = await this.row(relay, requestId);
      if (!row) return;
      const doc = docOf(row);
      if (doc.state !== 'pending') return;
      const withdrawn: ActionDoc = { ...doc, state: 'withdrawn' };
      const written = await this.table.replace(
        partitionOf(relay),
        requestId,
        { ...withdrawn },
        row.etag,
      );
      if (written !== false) return;
    }
    throw new LedgerError('relay-action-contention', `withdraw of ${requestId}: too many races`, {
      retryable: true,
    });
  }

  async polled(relay: string, pollId: string, at: number): Promise<void> {
    await this.table.upsert(partitionOf(relay), pollRow, { pollId, at });
  }

  async lastPoll(relay: string): Promise<number | undefined> {
    const at = (await this.table.get(partitionOf(relay), pollRow))?.doc['at'];
    return typeof at === 'number' ? at : undefined;
  }

  async sweep(relays: readonly string[], now: number): Promise<number> {
    let deleted = 0;
    for (const relay of relays) deleted += await this.table.deleteExpired(partitionOf(relay), now);
    return deleted;
  }

  private async row(relay: string, requestId: string): Promise<StoredDocument | undefined> {
    if (requestId === pollRow) return undefined;
    return this.table.get(partitionOf(relay), requestId);
  }
}

function docOf(row: StoredDocument): ActionDoc {
  const d = row.doc;
  const doc: ActionDoc = {
    state: d['state'] === 'answered' || d['state'] === 'withdrawn' ? d['state'] : 'pending',
    headers: String(d['headers']),
    body: String(d['body']),
    issuedAt: Number(d['issuedAt']),
    expiresAt: Number(d['expiresAt']),
    visibleAt: Number(d['visibleAt']),
    deliveries: Number(d['deliveries']),
  };
  if (typeof d['result'] === 'string') doc.result = d['result'];
  if (typeof d['answeredAt'] === 'number') doc.answeredAt = d['answeredAt'];
  return doc;
}
