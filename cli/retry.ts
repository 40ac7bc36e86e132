import type { Clock } from '../core/clock.ts';
import { type ApiAnswer, type ApiClient, type RequestLimits, TransportError } from './apiClient.ts';

/** No usable answer before the caller's deadline; `message` names the last failure. */
export class Unanswered extends Error {
  readonly code = 'unanswered';
  constructor(
    readonly lastFailure: string,
    readonly attempts: number,
    /** The deadline had passed before the first attempt (start-up took all the time). */
    readonly late = false,
  ) {
    const count = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    super(`${lastFailure} (${count}${late ? ', the first after the deadline' : ''})`);
    this.name = 'Unanswered';
  }
}

/** Backoff between attempts: 250 ms doubling to 5 s, so a long outage is still tried often. */
export const backoffMs = (attempt: number) => Math.min(5_000, 250 * 2 ** attempt);
/** Less time than this left is not worth another attempt. */
const minAttemptMs = 200;
/**
 * By default the first attempt gets at least this long, even past the deadline: a report is
 * never left unsent because start-up on a busy machine used the whole budget (it then overruns
 * by at most this much).
 */
const defaultFirstAttemptMs = 1_000;

/**
 * Calls `attempt` until it gives a value, as long as the deadline allows (at least once, with
 * at least `firstAttemptMs` for it). `attempt` gets the deadline its own request must keep.
 * `attempt` returns `{ retry: reason }` or throws a retryable TransportError for a failure
 * worth another try; anything else it throws ends the loop at once.
 */
export async function retryUntil<T>(
  clock: Clock,
  deadline: number,
  attempt: (attemptDeadline: number) => Promise<T | { retry: string }>,
  firstAttemptMs = defaultFirstAttemptMs,
): Promise<T> {
  const late = clock.now() >= deadline;
  let last = false;
  let failure = '';
  for (let n = 0; ; n++) {
    try {
      const result = await attempt(
        n === 0 ? Math.max(deadline, clock.now() + firstAttemptMs) : deadline,
      );
      if (!isRetry(result)) return result;
      failure = result.retry;
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      // An attempt the deadline cut short says less than the failure before it: keep that one.
      if (!(err.cutShort && failure)) failure = err.message;
      if (!err.retryable) throw new Unanswered(failure, n + 1, late);
    }
    const left = deadline - clock.now();
    if (last || left < minAttemptMs) throw new Unanswered(failure, n + 1, late);
    // When the full backoff does not fit, one last try goes in just before the deadline.
    last = left - backoffMs(n) < minAttemptMs;
    await clock.sleep(last ? left - minAttemptMs : backoffMs(n));
  }
}

function isRetry(value: unknown): value is { retry: string } {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'retry');
}

/**
 * A request retried until it gets an answer worth acting on: transport failures, 5xx and
 * success answers that cannot be read (a proxy's page, truncated JSON, or one `usable` refuses)
 * are tried again until the deadline. 4xx answers are returned: they are the service's verdict.
 */
export function requestUntil(
  client: ApiClient,
  deadline: number,
  call: {
    method: 'GET' | 'POST';
    path: string;
    body?: unknown;
    timeoutMs?: number;
    firstAttemptMs?: number;
  },
  usable: (body: unknown) => boolean = () => true,
): Promise<ApiAnswer> {
  const where = `${call.method} ${client.urlOf(call.path)}`;
  const attempt = async (attemptDeadline: number) => {
    const limits: RequestLimits = {
      deadline: attemptDeadline,
      ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
    };
    const answer = await client.request(call.method, call.path, call.body, limits);
    if (answer.status >= 500) return { retry: `${where}: ${httpFailure(answer)}` };
    if (answer.status >= 200 && answer.status < 300 && !(answer.json && usable(answer.body)))
      return { retry: `${where}: ${unreadable(answer)}` };
    return answer;
  };
  return retryUntil(client.clock, deadline, attempt, call.firstAttemptMs);
}

/** `HTTP 503 unavailable: storage is down`, or `HTTP 502 (text/html: 502 Bad Gateway …)`. */
export function httpFailure(answer: ApiAnswer): string {
  const problem = answer.json ? (answer.body as { code?: unknown; detail?: unknown }) : undefined;
  if (problem && typeof problem === 'object' && typeof problem.code === 'string')
    return `HTTP ${answer.status} ${problem.code}: ${oneLine(String(problem.detail ?? ''))}`;
  return `HTTP ${answer.status} (${bodySummary(answer)})`;
}

/** How much of an answer that is not Fencer's goes into a reason. */
const snippet = 120;

export function unreadable(answer: ApiAnswer): string {
  if (answer.body === undefined) return `unreadable answer (HTTP ${answer.status}, empty)`;
  return answer.json
    ? `unreadable answer (HTTP ${answer.status}, unexpected JSON: ${oneLine(JSON.stringify(answer.body), snippet)})`
    : `unreadable answer (HTTP ${answer.status}, not JSON: ${oneLine(String(answer.body), snippet)})`;
}

function bodySummary(answer: ApiAnswer): string {
  const type = answer.headers.get('content-type')?.split(';')[0] ?? 'no content type';
  const text = answer.json ? JSON.stringify(answer.body ?? '') : String(answer.body);
  // An HTML error page is read for its words: "502 Bad Gateway … nginx".
  const words = oneLine(type.includes('html') ? text.replace(/<[^>]*>/g, ' ') : text, snippet);
  return words ? `${type}: ${words}` : type;
}

/**
 * Control characters out, whitespace collapsed, at most `max` characters: fit for one line.
 * Snippets of answers that are not Fencer's (a proxy's page) are cut shorter than messages.
 */
export function oneLine(text: string, max = 500): string {
  const flat = text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/**
 * When this process started (ms since the epoch): a caller's time budget (Pacemaker's timeout,
 * `--wait`) runs from when it started us, not from when our code got going.
 */
export const processStartedAt = (): number => Math.floor(performance.timeOrigin);
