import type { IncidentRecord } from '../arbiter/state.ts';
import { LedgerError } from '../errors.ts';
import {
  type Attempt,
  type Incident,
  maxRefusedReports,
  type RefusedReport,
} from '../protocol/api.ts';
import { incidentRowKey } from './ids.ts';
import type { DocumentTable, IncidentLedger, StoredDocument } from './ledger.ts';

/** The incident entity's properties (the same in Table Storage and SQLite). */
interface IncidentEntity {
  incident: string;
  attempts: string;
  rev: number;
}

/** Attempts kept per incident; a redelivered fence can add more, the newest matter most. */
const maxAttempts = 40;

/**
 * Incident entities (PartitionKey = cluster, RowKey = inverted time + id): the history, and
 * the attempts. The cluster entity's record is the truth while it is there; these entities are
 * written after each decision with a revision guard, so a late writer never rolls one back.
 */
export class IncidentStore implements IncidentLedger {
  constructor(private readonly table: DocumentTable) {}

  /**
   * Writes the record's view unless a newer revision is already stored, keeping what only the
   * entity holds (attempts, reason, refused reports). `reason` is for a new incident's first
   * write. Returns the incident as stored afterwards.
   */
  async project(
    cluster: string,
    record: IncidentRecord,
    reason?: string,
  ): Promise<Incident | undefined> {
    return this.modify(cluster, record.id, (doc, storedRev) =>
      storedRev >= record.rev
        ? undefined
        : {
            doc: toIncident(cluster, record, doc ?? (reason ? { reason } : undefined)),
            rev: record.rev,
          },
    );
  }

  /** Keeps a refused report on an incident (bounded; the newest stay). */
  async appendRefusedReport(
    cluster: string,
    id: string,
    report: RefusedReport,
  ): Promise<Incident | undefined> {
    return this.modify(cluster, id, (doc, rev) => {
      if (!doc) return undefined;
      const refusedReports = [...(doc.refusedReports ?? []), report].slice(-maxRefusedReports);
      return { doc: { ...doc, refusedReports }, rev };
    });
  }

  async appendAttempt(
    cluster: string,
    id: string,
    attempt: Attempt,
  ): Promise<Incident | undefined> {
    return this.modify(cluster, id, (doc, rev) => {
      if (!doc) return undefined; // projected before any attempt; a missing entity means a lost race, not ours to invent
      return {
        doc: {
          ...doc,
          attempts: [...doc.attempts, attempt].slice(-maxAttempts),
          updatedAt: attempt.endedAt,
        },
        rev,
      };
    });
  }

  async get(cluster: string, id: string): Promise<Incident | undefined> {
    const stored = await this.table.get(cluster, incidentRowKey(id));
    return stored ? fromEntity(stored) : undefined;
  }

  /** Newest first: the row key starts with the inverted creation time (and `cluster` > digits). */
  async list(cluster: string, limit: number): Promise<Incident[]> {
    const rows = await this.table.list(cluster, { below: 'a' }, limit);
    return rows.map(fromEntity);
  }

  private async modify(
    cluster: string,
    id: string,
    change: (doc: Incident | undefined, rev: number) => { doc: Incident; rev: number } | undefined,
  ): Promise<Incident | undefined> {
    const row = incidentRowKey(id);
    for (let tries = 0; tries < 20; tries++) {
      const existing = await this.table.get(cluster, row);
      const current = existing ? fromEntity(existing) : undefined;
      const next = change(current, existing ? Number(existing.doc.rev) : -1);
      if (!next) return current;
      const entity: IncidentEntity = {
        incident: JSON.stringify({ ...next.doc, attempts: undefined }),
        attempts: JSON.stringify(next.doc.attempts),
        rev: next.rev,
      };
      const written = existing
        ? await this.table.replace(cluster, row, { ...entity }, existing.etag)
        : await this.table.create(cluster, row, { ...entity });
      if (written !== false) return next.doc;
    }
    throw new LedgerError('contention', `incident ${id}: too many concurrent writers`, {
      retryable: true,
    });
  }
}

function fromEntity({ doc }: StoredDocument): Incident {
  return {
    ...(JSON.parse(String(doc.incident)) as Omit<Incident, 'attempts'>),
    attempts: JSON.parse(String(doc.attempts)) as Attempt[],
  };
}

/** What only the incident entity holds: attempts, the reason, refused reports. */
type EntityOnly = Partial<Pick<Incident, 'attempts' | 'reason' | 'refusedReports'>>;

/** The API's view of a record (the truth while the cluster entity holds it) with what the entity keeps. */
export function toIncident(cluster: string, record: IncidentRecord, stored?: EntityOnly): Incident {
  return {
    incidentId: record.id,
    cluster,
    target: record.target,
    action: record.action ?? 'off',
    state: record.state,
    reporters: [...record.reporters],
    ...(stored?.reason ? { reason: stored.reason } : {}),
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    attempts: stored?.attempts ?? [],
    ...(record.refusal ? { refusal: record.refusal } : {}),
    ...(stored?.refusedReports?.length ? { refusedReports: stored.refusedReports } : {}),
  };
}
