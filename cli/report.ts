import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../core/clock.ts';
import type { Incident } from '../core/protocol/api.ts';
import { incidentStates, isTerminal } from '../core/protocol/states.ts';
import { type ApiAnswer, ApiClient } from './apiClient.ts';
import { oneLine, requestUntil, Unanswered } from './retry.ts';

export interface ReportOptions {
  url: string;
  keyId: string;
  secret: string;
  target: string;
  reason?: string;
  eventId?: string;
  /** `reboot`: fenced once verified off, then powered on again by Fencer. Default `off`. */
  action?: 'off' | 'reboot';
  /** Seconds to wait for a terminal state; 0 returns after the first answer. */
  waitSeconds: number;
  /**
   * When the caller's time began (ms on `clock`; default: now). The wait counts from here, so a
   * caller with a budget (Pacemaker's timeout for fence_fencer) passes its process start.
   */
  startedAt?: number;
  clock?: Clock;
}

/** Exit codes: 0 fenced; 1 failed/refused/rejected (or never delivered); 2 usage; 3 wait timed out. */
export type ReportExit = 0 | 1 | 2 | 3;

export interface ReportResult {
  exit: ReportExit;
  /** One line: what happened, or why it is not known. */
  message: string;
  incident?: Incident;
  code?: string;
}

/** With `--wait 0` the report itself still gets this long to reach the service. */
const firstAnswerMs = 10_000;
/** The longest long-poll the API serves, and what a long-poll answer may take beyond it. */
const maxPollSeconds = 120;
const pollSlackMs = 15_000;

/**
 * What a node's failover hook calls: sign and send a report, retry what is worth retrying
 * (same eventId, so retries join the same incident) until the caller's time runs out, and wait
 * until the incident ends. Every way it can end is a ReportResult; it throws only on bugs.
 */
export async function sendReport(options: ReportOptions): Promise<ReportResult> {
  const clock = options.clock ?? systemClock;
  const started = options.startedAt ?? clock.now();
  const waitUntil = started + options.waitSeconds * 1000;
  const cluster = options.keyId.split('/')[0] ?? '';
  const client = new ApiClient({
    url: options.url,
    keyId: options.keyId,
    secret: options.secret,
    clock,
  });
  const eventId = options.eventId ?? `report-${randomBytes(9).toString('base64url')}`;
  const body = {
    target: options.target,
    eventId,
    ...(options.reason ? { reason: options.reason } : {}),
    ...(options.action === 'reboot' ? { action: 'reboot' } : {}),
  };
  // The report itself waits for the verdict (`?waitSeconds`): one round trip in the common case;
  // the long-poll below only takes over when the fence outlasts it (or a retry cut it short).
  const postWait = Math.max(
    0,
    Math.min(maxPollSeconds, Math.floor((waitUntil - clock.now()) / 1000) - 1),
  );
  const reports = `/v1/clusters/${encodeURIComponent(cluster)}/reports`;

  let answer: ApiAnswer;
  try {
    answer = await requestUntil(
      client,
      options.waitSeconds > 0 ? waitUntil : started + firstAnswerMs,
      postWait > 0
        ? {
            method: 'POST',
            path: `${reports}?waitSeconds=${postWait}`,
            body,
            timeoutMs: postWait * 1000 + pollSlackMs,
          }
        : { method: 'POST', path: reports, body },
      isIncident,
    );
  } catch (err) {
    if (err instanceof Unanswered)
      return { exit: 1, message: `report not delivered: ${err.message}` };
    throw err;
  }
  if (!isAccepted(answer)) return rejected(answer);
  let incident = answer.body as Incident;
  for (let poll = 0; !isTerminal(incident.state); poll++) {
    const stillOpen = `incident ${incident.incidentId} is still ${incident.state}`;
    let left = waitUntil - clock.now();
    // A zero-second poll answers at once: pace them instead of spinning on the server.
    if (left < 2_000 && poll > 0) {
      await clock.sleep(Math.max(0, Math.min(500, left)));
      left = waitUntil - clock.now();
    }
    if (left <= 0) return { exit: 3, message: stillOpen, incident };
    // The server holds the poll up to waitSeconds; a second is left for its answer to arrive.
    const waitSeconds = Math.max(0, Math.min(maxPollSeconds, Math.floor(left / 1000) - 1));
    const path = `/v1/clusters/${encodeURIComponent(cluster)}/incidents/${encodeURIComponent(incident.incidentId)}?waitSeconds=${waitSeconds}`;
    let next: ApiAnswer;
    try {
      next = await requestUntil(
        client,
        waitUntil,
        // Only the report itself may overrun the wait; a poll keeps within it.
        { method: 'GET', path, timeoutMs: waitSeconds * 1000 + pollSlackMs, firstAttemptMs: 0 },
        isIncident,
      );
    } catch (err) {
      if (!(err instanceof Unanswered)) throw err;
      const message = `${stillOpen}: no verdict within ${options.waitSeconds} s (${err.message})`;
      return { exit: 3, message, incident };
    }
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
    message: `${incident.target} not fenced: ${oneLine(why)}`,
    incident,
    ...(incident.refusal ? { code: incident.refusal.code } : {}),
  };
}

const isAccepted = (answer: ApiAnswer) => answer.status === 200 || answer.status === 202;

/** Enough of an incident to wait on: an id to poll and a state this client knows. */
function isIncident(body: unknown): body is Incident {
  const b = body as Partial<Incident> | undefined;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.incidentId === 'string' &&
    b.incidentId !== '' &&
    typeof b.target === 'string' &&
    (incidentStates as readonly unknown[]).includes(b.state)
  );
}

function rejected(answer: ApiAnswer): ReportResult {
  const problem = (answer.json ? answer.body : undefined) as
    | { code?: string; detail?: string; incident?: Incident }
    | undefined;
  const code = typeof problem?.code === 'string' ? problem.code : `http-${answer.status}`;
  const detail =
    typeof problem?.detail === 'string' ? problem.detail : answer.json ? '' : String(answer.body);
  return {
    exit: 1,
    code,
    message: `rejected (${answer.status} ${code}): ${oneLine(detail)}`,
    ...(problem?.incident ? { incident: problem.incident } : {}),
  };
}
