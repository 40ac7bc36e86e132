import type { Clock } from '../core/clock.ts';
import { type ApiAnswer, type ApiClient, type RequestLimits, TransportError } from './apiClient.ts';

/** No usable answer before the caller's deadline; `message` names the last failure. */
export class Unanswered extends Error {
  readonly code = 'unanswered';
  constructor(
    readonly lastFailure: string,
    readonly attempts: number,
  ) {
    super(`${lastFailure} (${attempts} attempt${attempts === 1 ? '' : 's'})`);
    this.name = 'Unanswered';
  }
}

/** Backoff between attempts: 250 ms doubling to 5 s, so a long outage is still tried often. */
export const backoffMs = (attempt: number) => Math.min(5_000, 250 * 2 ** attempt);
/** Less time than this left is not worth another attempt. */
const minAttemptMs = 200;

/**
 * Calls `attempt` until it gives a value, as long as the deadline allows (at least once).
 * `attempt` returns `{ retry: reason }` or throws a retryable TransportError for a failure
 * worth another try; anything else it throws ends the loop at once.
 */
export async function retryUntil<T>(
  clock: Clock,
  deadline: number,
  attempt: () => Promise<T | { retry: string }>,
): Promise<T> {
  let last = false;
  for (let n = 0; ; n++) {
    let failure: string;
    try {
      const result = await attempt();
      if (!isRetry(result)) return result;
      failure = result.retry;
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      if (!err.retryable) throw new Unanswered(err.message, n + 1);
      failure = err.message;
    }
    const left = deadline - clock.now();
    if (last || left < minAttemptMs) throw new Unanswered(failure, n + 1);
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
  call: { method: 'GET' | 'POST'; path: string; body?: unknown; timeoutMs?: number },
  usable: (body: unknown) => boolean = () => true,
): Promise<ApiAnswer> {
  const limits: RequestLimits = {
    deadline,
    ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
  };
  const where = `${call.method} ${client.urlOf(call.path)}`;
  return retryUntil(client.clock, deadline, async () => {
    const answer = await client.request(call.method, call.path, call.body, limits);
    if (answer.status >= 500) return { retry: `${where}: ${httpFailure(answer)}` };
    if (answer.status >= 200 && answer.status < 300 && !(answer.json && usable(answer.body)))
      return { retry: `${where}: ${unreadable(answer)}` };
    return answer;
  });
}

/** `HTTP 503 unavailable: storage is down`, or `HTTP 502 (text/html: 502 Bad Gateway …)`. */
export function httpFailure(answer: ApiAnswer): string {
  const problem = answer.json ? (answer.body as { code?: unknown; detail?: unknown }) : undefined;
  if (problem && typeof problem === 'object' && typeof problem.code === 'string')
    return `HTTP ${answer.status} ${problem.code}: ${oneLine(String(problem.detail ?? ''))}`;
  return `HTTP ${answer.status} (${bodySummary(answer)})`;
}

export function unreadable(answer: ApiAnswer): string {
  if (answer.body === undefined) return `unreadable answer (HTTP ${answer.status}, empty)`;
  return answer.json
    ? `unreadable answer (HTTP ${answer.status}, unexpected JSON: ${oneLine(JSON.stringify(answer.body))})`
    : `unreadable answer (HTTP ${answer.status}, not JSON: ${oneLine(String(answer.body))})`;
}

function bodySummary(answer: ApiAnswer): string {
  const type = answer.headers.get('content-type')?.split(';')[0] ?? 'no content type';
  const text = answer.json ? JSON.stringify(answer.body ?? '') : String(answer.body);
  // An HTML error page is read for its words: "502 Bad Gateway … nginx".
  const words = oneLine(type.includes('html') ? text.replace(/<[^>]*>/g, ' ') : text);
  return words ? `${type}: ${words}` : type;
}

/** Control characters out, whitespace collapsed, at most 120 characters: fit for one line. */
export function oneLine(text: string): string {
  const flat = text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}

/**
 * When this process started (ms since the epoch): a caller's time budget (Pacemaker's timeout,
 * `--wait`) runs from when it started us, not from when our code got going.
 */
export const processStartedAt = (): number => Math.floor(performance.timeOrigin);
