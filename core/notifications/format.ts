import { canonicalString, newNonce, signatureOf, signingHeaders } from '../auth/signing.ts';
import type { NotificationConfig } from '../config/schema.ts';
import type { Incident } from '../protocol/api.ts';
import type { FencerEvent, NodeEventData } from './events.ts';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The POST for one event to one webhook (DESIGN "Notifications"): CloudEvents 1.0 structured
 * JSON, or `{"text"}` for Slack-compatible hooks; signed afresh on every try when the webhook
 * has a key (same canonical string as the API, over the URL's path and query).
 */
export function webhookRequest(
  event: FencerEvent,
  hook: NotificationConfig,
  secret: string | undefined,
  nowMs: number,
): WebhookRequest {
  const body =
    hook.format === 'slack'
      ? JSON.stringify({ text: slackText(event) })
      : JSON.stringify({
          specversion: '1.0',
          id: event.id,
          type: `dev.fencer.${event.type}`,
          source: `/clusters/${event.cluster}`,
          time: event.time,
          datacontenttype: 'application/json',
          data: event.data,
        });
  const headers: Record<string, string> = {
    'content-type':
      hook.format === 'slack' ? 'application/json' : 'application/cloudevents+json; charset=utf-8',
  };
  if (secret) {
    const url = new URL(hook.url);
    const timestamp = String(Math.floor(nowMs / 1000));
    const nonce = newNonce();
    const canonical = canonicalString({
      timestamp,
      nonce,
      method: 'POST',
      pathWithQuery: `${url.pathname}${url.search}`,
      body,
    });
    headers[signingHeaders.timestamp] = timestamp;
    headers[signingHeaders.nonce] = nonce;
    headers[signingHeaders.signature] = signatureOf(secret, canonical);
  }
  return { url: hook.url, headers, body };
}

/** One line a person reads in a chat channel. */
export function slackText(event: FencerEvent): string {
  if (event.type === 'node.readiness' || event.type === 'node.unfenced') {
    const d = event.data as NodeEventData;
    if (event.type === 'node.unfenced')
      return `:large_green_circle: ${d.cluster}/${d.node} unfenced: ${d.detail}`;
    const icon =
      d.readiness === 'ready'
        ? ':white_check_mark:'
        : d.readiness === 'degraded'
          ? ':warning:'
          : ':rotating_light:';
    return `${icon} ${d.cluster}/${d.node} is ${d.readiness} (was ${d.previousReadiness}, ${d.state}): ${d.detail}`;
  }
  const i = event.data as Incident;
  const why = i.refusal ? `: ${i.refusal.code}: ${i.refusal.detail}` : '';
  const icon = i.state === 'fenced' ? ':zap:' : ':rotating_light:';
  return `${icon} ${i.cluster}/${i.target} ${i.state} (incident ${i.incidentId}, reported by ${i.reporters.join(', ')})${why}`;
}
