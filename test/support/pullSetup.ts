import { randomBytes } from 'node:crypto';
import { ApiClient } from '../../cli/apiClient.ts';
import {
  MemoryNonceStore,
  type SignedRequest,
  verifySignedRequest,
} from '../../core/auth/verify.ts';
import { systemClock } from '../../core/clock.ts';
import type { FenceTarget } from '../../core/drivers/types.ts';
import type { RelayActionRequest } from '../../core/protocol/relay.ts';
import { writeTestConfig } from './testCluster.ts';

/**
 * A config with two pull-mode relays (site1, site2) and a cluster `pc` whose node `b` is fenced
 * through site1 and `c` through site2 (targets `b-switch`, `c-switch`), plus a viewer key.
 * `relayClient` signs as `relay/NAME`, the way fencer-relay polls and posts.
 */
export function writePullTestConfig(options: { fenceDeadlineSeconds?: number } = {}) {
  const keys = {
    site1: randomBytes(32).toString('base64'),
    site2: randomBytes(32).toString('base64'),
  };
  const viewer = randomBytes(32).toString('base64');
  const relayEntry = (name: string) => ({
    mode: 'pull',
    keyName: name,
    key: { secretRef: `env:RELAY_${name.toUpperCase()}` },
  });
  const setup = writeTestConfig(
    {
      pc: {
        options: { fenceDeadlineSeconds: options.fenceDeadlineSeconds ?? 30 },
        nodes: {
          a: {},
          b: { levels: [[{ relay: { relay: 'site1', target: 'b-switch' } }]] },
          c: { levels: [[{ relay: { relay: 'site2', target: 'c-switch' } }]] },
        },
      },
    },
    {
      relays: { site1: relayEntry('site1'), site2: relayEntry('site2') },
      viewers: { noc: { secretRef: 'env:VIEWER_NOC' } },
    },
    { RELAY_SITE1: keys.site1, RELAY_SITE2: keys.site2, VIEWER_NOC: viewer },
  );
  return {
    ...setup,
    relayKey: (name: 'site1' | 'site2') => keys[name],
    relayClient: (url: string, name: 'site1' | 'site2', timeoutMs?: number) =>
      new ApiClient({
        url,
        keyId: `relay/${name}`,
        secret: keys[name],
        clock: systemClock,
        ...(timeoutMs ? { timeoutMs } : {}),
      }),
    viewerClient: (url: string) =>
      new ApiClient({ url, keyId: 'viewer/noc', secret: viewer, clock: systemClock }),
    /** The device of node b (relay site1), as the driver cache keys it. */
    deviceOf: (node: 'b' | 'c') => {
      const device = setup.loaded.config.clusters.pc?.nodes[node]?.levels[0]?.[0];
      if (!device) throw new Error(`no device for ${node}`);
      return device;
    },
  };
}

export const target = (node: string, attempt = randomBytes(3).toString('hex')): FenceTarget => ({
  cluster: 'pc',
  node,
  incidentId: 'inc-test',
  attemptId: `inc-test.1.${attempt}`,
});

/**
 * Verifies a pulled action exactly as the relay agent does (signature over `POST /v1/actions`,
 * the relay's key by name); returns the request it carries.
 */
export async function verifyPulled(
  action: { headers: Readonly<Record<string, string>>; body: string },
  keyName: string,
  secret: string,
): Promise<RelayActionRequest> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(action.headers)) headers[name.toLowerCase()] = value;
  const signed: SignedRequest = {
    method: 'POST',
    pathWithQuery: '/v1/actions',
    headers,
    body: Buffer.from(action.body, 'utf8'),
  };
  const keyId = await verifySignedRequest(signed, {
    nowMs: Date.now(),
    secretOf: (name) => (name === keyName ? secret : undefined),
    nonces: new MemoryNonceStore(() => Date.now()),
  });
  if (keyId !== keyName) throw new Error(`signed as ${keyId}`);
  return JSON.parse(action.body) as RelayActionRequest;
}

/** The push-mode 200 answer to a request (what the relay agent posts back). */
export function answerTo(
  request: RelayActionRequest,
  powerState: 'on' | 'off' | 'unknown',
  verified = true,
) {
  return {
    requestId: request.requestId,
    target: request.target,
    action: request.action,
    powerState,
    verified,
    elapsedMs: 12,
    steps: [],
  };
}
