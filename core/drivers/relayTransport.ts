import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { resolvePath } from '../config/secrets.ts';
import { DriverError, errorMessage } from '../errors.ts';
import type { RelayActionRequest } from '../protocol/relay.ts';
import { transportError } from './relayErrors.ts';
import type { DriverCheck } from './types.ts';

/** One action, signed by the driver exactly as `POST /v1/actions` to a relay. */
export interface SignedAction {
  request: RelayActionRequest;
  /** The exact body the signature covers. */
  body: string;
  /** The four X-Fencer-* headers (lower-case names, as signRequest makes them). */
  headers: Readonly<Record<string, string>>;
  /** How long the driver waits for the answer (the relay's deadlineMs plus the network margin). */
  timeoutMs: number;
}

/** The relay's answer as HTTP gave it: judged by relayErrors.ts `parseAnswer`, whatever the mode. */
export interface RelayAnswer {
  status: number;
  /** The body text. */
  data: unknown;
  headers: Record<string, unknown>;
}

/**
 * How a signed action reaches the relay and its answer comes back. The driver (relay.ts) owns
 * everything else — deadlines, requestIds, signing, `verified` rules, error translation — so
 * push and pull behave alike. `send` throws a DriverError when no answer came.
 */
export interface RelayTransport {
  send(action: SignedAction, signal: AbortSignal): Promise<RelayAnswer>;
  /** Whether the relay can be reached at all, checked before a status action (doctor, readiness). */
  reachable(signal: AbortSignal): Promise<DriverCheck>;
}

/** The longest a connection to a relay stays open idle, whatever the relay advertises. */
const idleConnectionMs = 60 * 60_000;
/** Idle connections kept per relay; more in use at once (concurrent fences) close after use. */
const idleConnectionsPerRelay = 2;

const agents = new Map<string, Agent>();

/**
 * One agent per relay (URL and CA) in the process, shared by the drivers of all its devices:
 * the connection readiness checks use (one device after another) stays open for the next fence
 * of any of them, and the relay holds a couple of idle connections per Fencer process, not one
 * per device (its `limits.maxConnections` counts them all). With an idle timeout set, Node's
 * agent honours the relay's `Keep-Alive: timeout=N` and closes an idle connection a second
 * before the relay would, so no request is sent into a socket the relay is closing.
 */
function agentFor(url: string, ca: Buffer | undefined): Agent {
  const key = `${url}\n${ca ? createHash('sha256').update(ca).digest('hex') : ''}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      keepAlive: true,
      timeout: idleConnectionMs,
      maxFreeSockets: idleConnectionsPerRelay,
      minVersion: 'TLSv1.2',
      ...(ca ? { ca } : {}),
    });
    agents.set(key, agent);
  }
  return agent;
}

/**
 * Push mode: HTTPS `POST {url}/v1/actions` to a relay listening at its site, its certificate
 * checked against `ca`. The CA file is read on first use, so a broken one fails the call, not
 * the config load.
 */
export function pushTransport(
  relay: { url: string; ca?: string | undefined },
  label: string,
  baseDir: string,
): RelayTransport {
  const base = relay.url.replace(/\/+$/, '');
  let http: AxiosInstance | undefined;
  const client = (): AxiosInstance => {
    try {
      http ??= axios.create({
        httpsAgent: agentFor(
          base,
          relay.ca ? readFileSync(resolvePath(relay.ca, baseDir)) : undefined,
        ),
        // The relay is reached directly (site VPN); a proxy from the environment is not wanted.
        proxy: false,
        maxRedirects: 0,
        responseType: 'text',
        transformResponse: (data: unknown) => data,
        transformRequest: (data: unknown) => data,
        validateStatus: () => true,
      });
      return http;
    } catch (err) {
      throw new DriverError('relay-config', `${label}: ${errorMessage(err)}`, { cause: err });
    }
  };
  return {
    async send(action, signal) {
      const h = client();
      try {
        return await h.post(`${base}/v1/actions`, action.body, {
          headers: { ...action.headers, 'Content-Type': 'application/json' },
          timeout: action.timeoutMs,
          signal,
        });
      } catch (err) {
        throw transportError(label, err);
      }
    },
    async reachable(signal) {
      const health = await client().get(`${base}/v1/health`, { timeout: 5000, signal });
      const ok = health.status === 200;
      return {
        name: 'relay reachable',
        ok,
        detail: `GET ${base}/v1/health → ${health.status}`,
        ...(ok ? {} : { fix: 'check relays.<name>.url and that fencer-relay runs' }),
      };
    },
  };
}
