import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import { type Incident, isTerminal } from '../core/protocol/api.ts';
import { type ApiAnswer, ApiClient, TransportError } from './apiClient.ts';

export interface ReportOptions {
  url: string;
  keyId: string;
  secret: string;
  target: string;
  reason?: string;
  eventId?: string;
  /** Seconds to wait for a terminal state; 0 returns after the first answer. */
  waitSeconds: number;
  /** Attempts of the POST on transport errors and 5xx. */
  retries?: number;
  clock?: Clock;
}

/** Exit codes: 0 fenced; 1 failed/refused/rejected; 2 usage; 3 wait timed out. */
export type ReportExit = 0 | 1 | 2 | 3;

export interface ReportResult {
  exit: ReportExit;
  message: string;
  incident?: Incident;
  code?: string;
}

/**
 * What a node's failover hook calls: sign and send a report, retry what is worth retrying
 * (same eventId, so retries join the same incident), wait until the incident ends.
 */
export async function sendReport(options: ReportOptions): Promise<ReportResult> {
  const clock = options.clock ?? systemClock;
  const cluster = options.keyId.split('/')[0] ?? '';
  const client = new ApiClient({
    url: options.url,
    keyId: options.keyId,
    secret: options.secret,
    clock,
  });
  const eventId = options.eventId ?? `report-${randomBytes(9).toString('base64url')}`;
  const until = clock.now() + options.waitSeconds * 1000;
  const body = {
    target: options.target,
    eventId,
    ...(options.reason ? { reason: options.reason } : {}),
  };

  const answer = await withRetries(clock, options.retries ?? 5, until, () =>
    client.request('POST', `/v1/clusters/${encodeURIComponent(cluster)}/reports`, body),
  );
  if (answer.status !== 200 && answer.status !== 202) return rejected(answer);
  let incident = answer.body as Incident;
  while (!isTerminal(incident.state)) {
    const left = Math.floor((until - clock.now()) / 1000);
    if (left <= 0)
      return {
        exit: 3,
        message: `incident ${incident.incidentId} is still ${incident.state}`,
        incident,
      };
    const path = `/v1/clusters/${encodeURIComponent(cluster)}/incidents/${encodeURIComponent(incident.incidentId)}?waitSeconds=${Math.min(120, left)}`;
    const next = await withRetries(clock, options.retries ?? 5, until, () =>
      client.request('GET', path),
    );
    if (next.status !== 200) return rejected(next);
    incident = next.body as Incident;
  }
  if (incident.state === 'fenced')
    return {
      exit: 0,
      message: `${incident.target} fenced (incident ${incident.incidentId})`,
      incident,
    };
  const why = incident.refusal
    ? `${incident.refusal.code}: ${incident.refusal.detail}`
    : incident.state;
  return {
    exit: 1,
    message: `${incident.target} not fenced: ${why}`,
    incident,
    ...(incident.refusal ? { code: incident.refusal.code } : {}),
  };
}

function rejected(answer: ApiAnswer): ReportResult {
  const problem = answer.body as
    | { code?: string; detail?: string; incident?: Incident }
    | undefined;
  const code = problem?.code ?? `http-${answer.status}`;
  return {
    exit: 1,
    code,
    message: `rejected (${answer.status} ${code}): ${problem?.detail ?? ''}`,
    ...(problem?.incident ? { incident: problem.incident } : {}),
  };
}

/** Retries transport errors and 5xx with backoff, within the wait budget (at least one try). */
async function withRetries(
  clock: Clock,
  attempts: number,
  until: number,
  call: () => Promise<ApiAnswer>,
): Promise<ApiAnswer> {
  for (let n = 0; ; n++) {
    let failure: string;
    try {
      const answer = await call();
      if (answer.status < 500) return answer;
      failure = `HTTP ${answer.status}`;
      if (n + 1 >= attempts) return answer;
    } catch (err) {
      if (!(err instanceof TransportError) || n + 1 >= attempts) throw err;
      failure = errorMessage(err);
    }
    const delay = Math.min(8_000, 500 * 2 ** n);
    if (n > 0 && clock.now() + delay > until) throw new TransportError(`gave up: ${failure}`);
    await clock.sleep(delay);
  }
}
