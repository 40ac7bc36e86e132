import type { Clock } from '../clock.ts';
import { DriverError, errorMessage } from '../errors.ts';
import type { RelayActionResult } from './relayActions.ts';
import { type Exchange, pollSilenceMs, type RelayMailbox } from './relayMailbox.ts';
import type { RelayAnswer, RelayTransport } from './relayTransport.ts';

/** The header names of a poll answer (DESIGN: `headers:{X-Fencer-Key, ...}`). */
const wireNames: Readonly<Record<string, string>> = {
  'x-fencer-key': 'X-Fencer-Key',
  'x-fencer-timestamp': 'X-Fencer-Timestamp',
  'x-fencer-nonce': 'X-Fencer-Nonce',
  'x-fencer-signature': 'X-Fencer-Signature',
};

/**
 * Pull mode: the signed action goes into the relay's mailbox (durably), the relay takes it
 * with its next poll and posts its answer back; the answer is handed to the driver as the
 * HTTP answer push mode would have got. No answer by the driver's timeout is a retryable
 * `relay-timeout`, saying whether the relay took the action and when it last polled.
 */
export function pullTransport(
  relay: string,
  label: string,
  mailbox: RelayMailbox | undefined,
  clock: Clock,
): RelayTransport {
  const noMailbox = () =>
    new DriverError(
      'relay-config',
      `${label}: a pull-mode relay is reached through the ledger, which this process has not opened`,
    );
  return {
    async send(action, signal) {
      if (!mailbox) throw noMailbox();
      const issuedAt = clock.now();
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(action.headers))
        headers[wireNames[name] ?? name] = value;
      let exchange: Exchange;
      try {
        exchange = await mailbox.exchange(
          {
            relay,
            requestId: action.request.requestId,
            headers,
            body: action.body,
            issuedAt,
            expiresAt: issuedAt + action.timeoutMs,
          },
          signal,
        );
      } catch (err) {
        if (signal.aborted) throw err;
        // The ledger failed, as a network would in push mode: another try may get through.
        throw new DriverError('relay-mailbox', `${label}: ${errorMessage(err)}`, {
          retryable: true,
          cause: err,
        });
      }
      if (exchange.kind === 'answered') return answerOf(exchange.result);
      const waited = `no answer within ${action.timeoutMs} ms`;
      const why =
        exchange.deliveries > 0
          ? 'the relay took the action but did not answer'
          : `the relay did not take the action (${pollAge(exchange.lastPollAt, clock.now())})`;
      throw new DriverError('relay-timeout', `${label}: ${waited}: ${why}`, { retryable: true });
    },
    async reachable() {
      if (!mailbox) {
        return {
          name: 'relay polling',
          ok: false,
          detail: 'the last poll is in the ledger, which this process has not opened',
          fix: 'run with the host’s AzureWebJobsStorage (Table Storage), or see `fencer readiness`',
        };
      }
      const last = await mailbox.lastPoll(relay);
      const now = clock.now();
      const ok = last !== undefined && now - last < pollSilenceMs;
      return {
        name: 'relay polling',
        ok,
        detail: pollAge(last, now),
        ...(ok
          ? {}
          : {
              fix: `start fencer-relay at the site with pull: { url: <this Fencer>, keyName: ${relay} }; its log says "polling URL" once it reaches Fencer`,
            }),
      };
    },
  };
}

/** The relay's answer as push mode's HTTP answer: a problem's retryAfter is its Retry-After. */
function answerOf(result: RelayActionResult): RelayAnswer {
  const headers: Record<string, unknown> = {};
  if (result.status !== 200) {
    try {
      const retryAfter = (JSON.parse(result.body) as { retryAfter?: unknown }).retryAfter;
      if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    } catch {
      // Judged by parseAnswer like any unreadable answer.
    }
  }
  return { status: result.status, data: result.body, headers };
}

function pollAge(last: number | undefined, now: number): string {
  if (last === undefined) return 'it never polled';
  const seconds = Math.max(0, Math.round((now - last) / 1000));
  const at = new Date(last).toISOString();
  return now - last < pollSilenceMs
    ? `last poll ${seconds} s ago (${at})`
    : `no poll for ${seconds} s (last at ${at})`;
}
