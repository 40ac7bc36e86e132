import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signRequest } from '../../core/auth/signing.ts';
import { type BmcSim, startBmcSim } from './peers/bmcSim.ts';
import { rawRequest, signedAction } from './peers/client.ts';
import {
  ipmiTargetFor,
  type RelayInProcess,
  startRelayInProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki, type TestPki } from './peers/tls.ts';

/** The relay's HTTP contract (DESIGN.md, Relay agent protocol) against a real BMC simulator. */
let dir: string;
let pki: TestPki;
let bmc: BmcSim;
let relay: RelayInProcess;
let mtlsRelay: RelayInProcess;
let seq = 0;
const action = (extra: Record<string, unknown> = {}) => ({
  requestId: `srv-${seq++}`,
  target: 'bmc-a',
  action: 'off',
  deadlineMs: 4000,
  ...extra,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-server-'));
  pki = makeTestPki(dir);
  bmc = await startBmcSim({ dir });
  const targets = { 'bmc-a': ipmiTargetFor(bmc, dir), 'bmc-b': ipmiTargetFor(bmc, dir) };
  relay = await startRelayInProcess({ ...writeRelayConfig({ dir, pki, targets }), ca: pki.caCert });
  const mtls = writeRelayConfig({
    dir,
    pki,
    targets,
    clientCa: true,
    file: join(dir, 'mtls.yaml'),
  });
  mtlsRelay = await startRelayInProcess({ ...mtls, ca: pki.caCert });
});

afterAll(async () => {
  await relay?.stop();
  await mtlsRelay?.stop();
  await bmc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await bmc.set({ mode: 'normal', power: 'on', offDelayMs: 0, clearEvents: true });
});

describe('GET /v1/health', () => {
  it('answers 200 without a signature, with no config in it', async () => {
    const answer = await rawRequest(relay.url, { method: 'GET', path: '/v1/health', ca: relay.ca });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ok', version: expect.any(String) });
  });
});

describe('POST /v1/actions: authentication', () => {
  it('refuses a bad signature, an unknown key and missing headers with 401 unauthenticated', async () => {
    const wrongSecret = await signedAction(relay, action(), {
      secret: 'c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1yZWxheS1rZXktYXQtYWxs',
    });
    const unknownKey = await signedAction({ ...relay, keyName: 'nobody' }, action());
    const unsigned = await rawRequest(relay.url, {
      method: 'POST',
      path: '/v1/actions',
      body: JSON.stringify(action()),
      ca: relay.ca,
    });
    for (const answer of [wrongSecret, unknownKey, unsigned]) {
      expect(answer.status).toBe(401);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(answer.json['code']).toBe('unauthenticated');
    }
    expect(await bmc.count('power_off')).toBe(0);
  });

  it('refuses a byte-identical re-send as replayed, acting once', async () => {
    const first = await signedAction(relay, action());
    const again = await rawRequest(relay.url, {
      method: 'POST',
      path: '/v1/actions',
      ...first.sent,
      ca: relay.ca,
    });
    expect(first.status).toBe(200);
    expect(again.status).toBe(401);
    expect(again.json['code']).toBe('replayed');
    expect(await bmc.count('power_off')).toBe(1);
  });

  it('needs a client certificate signed by tls.clientCa when one is configured', async () => {
    const withoutCert = await signedAction(mtlsRelay, action({ action: 'status' }));
    const withCert = await signedAction(mtlsRelay, action({ action: 'status' }), {
      cert: pki.clientCert,
      key: pki.clientKey,
    });
    const health = await rawRequest(mtlsRelay.url, {
      method: 'GET',
      path: '/v1/health',
      ca: pki.caCert,
    });
    expect(withoutCert.status).toBe(401);
    expect(withoutCert.json['detail']).toMatch(/client certificate/);
    expect(withCert.status).toBe(200);
    expect(health.status).toBe(200);
  });
});

describe('POST /v1/actions: requests', () => {
  it('answers 404 unknown-target for a target that is not in the allowlist', async () => {
    const answer = await signedAction(relay, action({ target: 'rm -rf /' }));
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ code: 'unknown-target', status: 404 });
  });

  it('refuses unknown fields and out-of-range values with 400 invalid-request', async () => {
    const extra = await signedAction(relay, action({ command: 'ipmitool raw 0x00' }));
    const tooShort = await signedAction(relay, action({ deadlineMs: 5 }));
    expect([extra.status, tooShort.status]).toEqual([400, 400]);
    expect(extra.json['detail']).toMatch(/unknown field/);
    expect(tooShort.json['detail']).toMatch(/deadlineMs/);
  });

  it('answers 413 for a body over 16 KiB, 405 for a wrong method, 404 for an unknown route', async () => {
    const big = await signedAction(relay, action({ pad: 'x'.repeat(17_000) }));
    const get = await rawRequest(relay.url, { method: 'GET', path: '/v1/actions', ca: relay.ca });
    const route = await rawRequest(relay.url, { method: 'GET', path: '/v1/nope', ca: relay.ca });
    expect([big.status, get.status, route.status]).toEqual([413, 405, 404]);
    expect(big.json['code']).toBe('payload-too-large');
    expect(get.headers['allow']).toBe('POST');
  });
});

describe('POST /v1/actions: idempotency', () => {
  it('answers a repeated requestId with the first result, without acting again', async () => {
    const body = action();
    const first = await signedAction(relay, body);
    await bmc.set({ power: 'on' });
    const second = await signedAction(relay, body);
    expect(second.status).toBe(200);
    expect(second.json).toEqual(first.json);
    expect(second.headers['fencer-idempotent-replay']).toBe('true');
    expect(await bmc.count('power_off')).toBe(1);
  });

  it('joins a request that is still running instead of starting a second one', async () => {
    await bmc.set({ mode: 'delayed-off', offDelayMs: 300 });
    const body = action();
    const [a, b] = await Promise.all([signedAction(relay, body), signedAction(relay, body)]);
    expect(a.json).toEqual(b.json);
    expect(a.json['verified']).toBe(true);
    expect(await bmc.count('power_off')).toBe(1);
  });

  it('refuses a repeated requestId for another target or action with 409 request-conflict', async () => {
    const body = action();
    await signedAction(relay, body);
    const otherTarget = await signedAction(relay, { ...body, target: 'bmc-b' });
    const otherAction = await signedAction(relay, { ...body, action: 'on' });
    expect([otherTarget.status, otherAction.status]).toEqual([409, 409]);
    expect(otherTarget.json['code']).toBe('request-conflict');
    expect(await bmc.count('power_off')).toBe(1);
    expect(await bmc.count('power_on')).toBe(0);
  });

  it('refuses a signature made for another path than the one sent', async () => {
    const body = JSON.stringify(action({ action: 'status' }));
    const headers = signRequest({
      keyId: relay.keyName,
      secret: relay.key,
      method: 'POST',
      pathWithQuery: '/v1/actions?x=1',
      body,
      nowMs: Date.now(),
    });
    // Signed for another path than the one sent: refused.
    const answer = await rawRequest(relay.url, {
      method: 'POST',
      path: '/v1/actions',
      headers,
      body,
      ca: relay.ca,
    });
    expect(answer.status).toBe(401);
  });
});
