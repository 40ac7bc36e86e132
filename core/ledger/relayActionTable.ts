import type { TableClient } from '@azure/data-tables';
import { LedgerError } from '../errors.ts';
import type {
  AnswerOutcome,
  RelayAction,
  RelayActionResult,
  RelayActionState,
  RelayActionStore,
  TakeResult,
} from './relayActionStore.ts';
import { isConflict, isNotFound, isPreconditionFailed } from './tableErrors.ts';

/**
 * Pull-relay rows live in the ledger table under a partition per relay that no cluster can
 * have (names start alphanumeric): `~relay:NAME`. Row keys are requestIds
 * (`[A-Za-z0-9._:-]`), and `~poll` holds the relay's last poll.
 */
const partitionPrefix = '~relay:';
const pollRow = '~poll';
const partitionOf = (relay: string) => `${partitionPrefix}${relay}`;
/** Names are `[A-Za-z0-9._-]`; quoting keeps a filter intact whatever reaches it. */
const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

interface ActionRow {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  state: RelayActionState['state'];
  headers: string;
  body: string;
  issuedAt: number;
  expiresAt: number;
  visibleAt: number;
  deliveries: number;
  result?: string;
  answeredAt?: number;
}

interface PollRow {
  partitionKey: string;
  rowKey: string;
  pollId: string;
  at: number;
}

/** Conditional updates lost to a concurrent claim are re-read and tried again this often. */
const maxRaces = 8;

export class TableRelayActionStore implements RelayActionStore {
  constructor(private readonly table: TableClient) {}

  async put(action: RelayAction): Promise<boolean> {
    const row: ActionRow = {
      partitionKey: partitionOf(action.relay),
      rowKey: action.requestId,
      state: 'pending',
      headers: JSON.stringify(action.headers),
      body: action.body,
      issuedAt: action.issuedAt,
      expiresAt: action.expiresAt,
      visibleAt: action.issuedAt,
      deliveries: 0,
    };
    try {
      await this.table.createEntity(row);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  async take(relay: string, now: number, visibilityMs: number, limit: number): Promise<TakeResult> {
    // One query per look: the due actions and the poll row together.
    const due = `state eq 'pending' and visibleAt le ${now}.0 and expiresAt gt ${now}.0`;
    const filter = `PartitionKey eq ${quote(partitionOf(relay))} and (RowKey eq '${pollRow}' or (${due}))`;
    const rows: ActionRow[] = [];
    let latestPoll: string | undefined;
    for await (const entity of this.table.listEntities<ActionRow & Partial<PollRow>>({
      queryOptions: { filter },
    })) {
      if (entity.rowKey === pollRow) latestPoll = entity.pollId;
      else rows.push(entity);
    }
    rows.sort((a, b) => a.issuedAt - b.issuedAt);
    const actions: RelayAction[] = [];
    for (const row of rows) {
      if (actions.length >= limit) break;
      const claimed: ActionRow = {
        ...withoutMeta(row),
        visibleAt: now + visibilityMs,
        deliveries: row.deliveries + 1,
      };
      try {
        await this.table.updateEntity(claimed, 'Replace', { etag: row.etag ?? '*' });
      } catch (err) {
        // Another poll claimed (or the driver abandoned) it first.
        if (isPreconditionFailed(err) || isNotFound(err)) continue;
        throw err;
      }
      actions.push(actionOf(relay, row));
    }
    return { actions, ...(latestPoll ? { latestPoll } : {}) };
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
      if (row.state === 'answered') return 'duplicate';
      const answered: ActionRow = {
        ...withoutMeta(row),
        state: 'answered',
        result: JSON.stringify(result),
        answeredAt: now,
      };
      if (await this.replace(answered, row.etag)) return 'stored';
    }
    throw new LedgerError('relay-action-contention', `answer of ${requestId}: too many races`, {
      retryable: true,
    });
  }

  async get(relay: string, requestId: string): Promise<RelayActionState | undefined> {
    const row = await this.row(relay, requestId);
    if (!row) return undefined;
    return {
      state: row.state,
      deliveries: row.deliveries,
      ...(row.result ? { result: JSON.parse(row.result) as RelayActionResult } : {}),
    };
  }

  async abandon(relay: string, requestId: string): Promise<void> {
    for (let race = 0; race < maxRaces; race++) {
      const row = await this.row(relay, requestId);
      if (row?.state !== 'pending') return;
      if (await this.replace({ ...withoutMeta(row), state: 'abandoned' }, row.etag)) return;
    }
    throw new LedgerError('relay-action-contention', `abandon of ${requestId}: too many races`, {
      retryable: true,
    });
  }

  async polled(relay: string, pollId: string, at: number): Promise<void> {
    const row: PollRow = { partitionKey: partitionOf(relay), rowKey: pollRow, pollId, at };
    await this.table.upsertEntity(row, 'Replace');
  }

  async lastPoll(relay: string): Promise<number | undefined> {
    try {
      return (await this.table.getEntity<PollRow>(partitionOf(relay), pollRow)).at;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async sweep(before: number): Promise<number> {
    const range = `PartitionKey ge '${partitionPrefix}' and PartitionKey lt '~relay;'`;
    const filter = `${range} and expiresAt lt ${before}.0`;
    let deleted = 0;
    for await (const row of this.table.listEntities<ActionRow>({
      queryOptions: { filter, select: ['PartitionKey', 'RowKey'] },
    })) {
      try {
        await this.table.deleteEntity(row.partitionKey, row.rowKey);
        deleted++;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return deleted;
  }

  private async row(relay: string, requestId: string): Promise<ActionRow | undefined> {
    if (requestId === pollRow) return undefined;
    try {
      return await this.table.getEntity<ActionRow>(partitionOf(relay), requestId);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Replace if unchanged since read; false when someone else wrote first. */
  private async replace(row: ActionRow, etag: string | undefined): Promise<boolean> {
    try {
      await this.table.updateEntity(row, 'Replace', { etag: etag ?? '*' });
      return true;
    } catch (err) {
      // Someone else wrote first, or it was swept: the caller reads it again.
      if (isPreconditionFailed(err) || isNotFound(err)) return false;
      throw err;
    }
  }
}

/** The row's own properties, without what the service adds (etag, timestamp). */
function withoutMeta(row: ActionRow): ActionRow {
  const out: ActionRow = {
    partitionKey: row.partitionKey,
    rowKey: row.rowKey,
    state: row.state,
    headers: row.headers,
    body: row.body,
    issuedAt: row.issuedAt,
    expiresAt: row.expiresAt,
    visibleAt: row.visibleAt,
    deliveries: row.deliveries,
  };
  if (row.result !== undefined) out.result = row.result;
  if (row.answeredAt !== undefined) out.answeredAt = row.answeredAt;
  return out;
}

function actionOf(relay: string, row: ActionRow): RelayAction {
  return {
    relay,
    requestId: row.rowKey,
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    issuedAt: row.issuedAt,
    expiresAt: row.expiresAt,
  };
}
