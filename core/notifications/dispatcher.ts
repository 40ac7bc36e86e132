import { type Clock, timeoutSignal } from '../clock.ts';
import type { NotificationConfig } from '../config/schema.ts';
import { errorMessage } from '../errors.ts';
import type { Log } from '../log.ts';
import { own } from '../names.ts';
import { type WebhookRequest, webhookRequest } from './format.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';

/** Retries go on this long after the event (DESIGN: an hour)... */
export const retryForMs = 60 * 60 * 1000;
/** ...with backoff from 1 s, capped at 60 s between tries. */
const maxBackoffMs = 60_000;
/** A webhook that does not answer within this long failed this try. */
const tryTimeoutMs = 10_000;

/** Sends one request; resolves with the HTTP status (transport errors reject). */
export type WebhookPost = (request: WebhookRequest, signal: AbortSignal) => Promise<number>;

export const fetchPost: WebhookPost = async (request, signal) => {
  const response = await fetch(request.url, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
    signal,
    redirect: 'error',
  });
  await response.arrayBuffer().catch(() => undefined);
  return response.status;
};

export interface DispatchDeps {
  outbox: Outbox;
  /** Nothing leaves the process before the writes it rests on are durable (SQLite group commit). */
  ledger?: { durable(): Promise<void> };
  hooks: Readonly<Record<string, NotificationConfig>>;
  secret(ref: string): string;
  clock: Clock;
  log: Log;
  post?: WebhookPost;
}

/**
 * Tries every due outbox entry once: each is claimed first (several senders may run), posted
 * with a fresh signature, and settled as delivered (2xx), pending with its next try, or dead
 * after an hour. A hung webhook costs this dispatcher at most `tryTimeoutMs` per entry and
 * nothing else.
 */
export async function dispatchDue(deps: DispatchDeps, limit = 50): Promise<number> {
  const due = await deps.outbox.due(deps.clock.now(), limit);
  if (due.length > 0) await deps.ledger?.durable();
  let tried = 0;
  await Promise.all(
    due.map(async (entry) => {
      if (!(await deps.outbox.claim(entry, deps.clock.now() + tryTimeoutMs * 3))) return;
      tried++;
      await deps.outbox.settle(await tryOnce(deps, entry));
    }),
  );
  return tried;
}

async function tryOnce(deps: DispatchDeps, entry: OutboxEntry): Promise<OutboxEntry> {
  const hook = own(deps.hooks, entry.hook);
  const attempts = entry.attempts + 1;
  if (!hook)
    return { ...entry, attempts, state: 'dead', lastError: 'webhook no longer configured' };
  let error: string;
  try {
    const secret = hook.key ? deps.secret(hook.key.secretRef) : undefined;
    const request = webhookRequest(entry.event, hook, secret, deps.clock.now());
    const timer = timeoutSignal(deps.clock, tryTimeoutMs);
    try {
      const status = await (deps.post ?? fetchPost)(request, timer.signal);
      if (status >= 200 && status < 300)
        return { ...entry, attempts, state: 'delivered', nextAt: deps.clock.now() };
      error = `HTTP ${status}`;
    } finally {
      timer.cancel();
    }
  } catch (err) {
    error = errorMessage(err);
  }
  const now = deps.clock.now();
  if (now - entry.createdAt >= retryForMs) {
    deps.log.error(
      { hook: entry.hook, eventId: entry.event.id, event: entry.event.type, attempts, err: error },
      'notification given up after an hour of retries',
    );
    return { ...entry, attempts, state: 'dead', nextAt: now, lastError: error };
  }
  const backoff = Math.min(maxBackoffMs, 1000 * 2 ** (attempts - 1));
  deps.log.warn(
    { hook: entry.hook, eventId: entry.event.id, attempts, err: error },
    'notification failed; will retry',
  );
  return { ...entry, attempts, nextAt: now + backoff, lastError: error };
}
