import { readFileSync } from 'node:fs';
import { type Agent, request } from 'node:https';
import { signRequest } from '../../../core/auth/signing.ts';
import { systemClock } from '../../../core/clock.ts';
import { resolveSecret } from '../../../core/config/secrets.ts';
import {
  createRelayDriver,
  defaultRelayTiming,
  type RelayTiming,
} from '../../../core/drivers/relay.ts';
import type { FenceDriver, FenceTarget } from '../../../core/drivers/types.ts';
import type { RelayEndpoint } from './relay.ts';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

/** One HTTPS request to the relay, exactly as given (for replays, bad signatures, TLS checks). */
export function rawRequest(
  url: string,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
    ca: string;
    cert?: string;
    key?: string;
    /** A keep-alive agent to reuse one connection; default: a new connection per request. */
    agent?: Agent;
  },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(options.path, url),
      {
        method: options.method,
        headers: {
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...options.headers,
        },
        ca: readFileSync(options.ca),
        ...(options.cert && options.key
          ? { cert: readFileSync(options.cert), key: readFileSync(options.key) }
          : {}),
        agent: options.agent ?? false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
        });
        res.on('end', () => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON; the test looks at text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** A signed POST /v1/actions; returns the exact headers too, so a test can re-send them. */
export async function signedAction(
  relay: Pick<RelayEndpoint, 'url' | 'ca' | 'keyName' | 'key'>,
  body: Record<string, unknown>,
  options: { cert?: string; key?: string; secret?: string; agent?: Agent } = {},
): Promise<RawAnswer & { sent: { headers: Record<string, string>; body: string } }> {
  const text = JSON.stringify(body);
  const headers = signRequest({
    keyId: relay.keyName,
    secret: options.secret ?? relay.key,
    method: 'POST',
    pathWithQuery: '/v1/actions',
    body: text,
    nowMs: Date.now(),
  });
  const answer = await rawRequest(relay.url, {
    method: 'POST',
    path: '/v1/actions',
    headers,
    body: text,
    ca: relay.ca,
    ...(options.cert ? { cert: options.cert } : {}),
    ...(options.key ? { key: options.key } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
  });
  return { ...answer, sent: { headers, body: text } };
}

/** The Function-side relay driver pointed at a relay, as the engine would build it. */
export function relayDriverFor(
  relay: Pick<RelayEndpoint, 'url' | 'ca' | 'keyName' | 'key'>,
  target: string,
  timing: Partial<RelayTiming> = {},
  overrides: { ca?: string; url?: string } = {},
): FenceDriver {
  return createRelayDriver(
    { relay: 'site', target },
    {
      clock: systemClock,
      baseDir: '/',
      secret: (ref) => resolveSecret(ref, { env: { RELAY_KEY: relay.key }, baseDir: '/' }),
      relays: {
        site: {
          url: overrides.url ?? relay.url,
          keyName: relay.keyName,
          key: { secretRef: 'env:RELAY_KEY' },
          ca: overrides.ca ?? relay.ca,
        },
      },
    },
    { ...defaultRelayTiming, ...timing },
  );
}

let attempts = 0;

/** A fence target as the engine hands it to a driver. */
export function fenceTarget(
  attemptId = `inc-1.0.${(attempts++).toString(16)}${Date.now()}`,
): FenceTarget {
  return { cluster: 'prod-db', node: 'node-b', incidentId: 'inc-1', attemptId };
}
